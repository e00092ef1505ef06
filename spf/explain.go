package spf

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// defaultExplanation explains a fail when the domain gives no usable exp=
// text (RFC 7208 §6.2 leaves its wording to the receiver).
const defaultExplanation = "%{d} does not designate %{c} as permitted sender"

// explain returns the explanation of a fail decided by record f, or the
// default one. Fetching the exp= text is best effort: no record, several,
// a DNS error or a syntax error give the default (RFC 7208 §6.2).
func (e *evaluation) explain(ctx context.Context, f *fetchedRecord) string {
	if f.rec.exp < 0 {
		return e.defaultExplanation(f.domain)
	}
	spec := f.rec.terms[f.rec.exp].domain
	if usesPMacro(spec) {
		e.env.validated = e.validatedName(ctx, f.domain)
	}
	name, err := e.env.expandDomain(spec, f.domain)
	if err != nil {
		return e.defaultExplanation(f.domain)
	}
	txts, err := e.resolver.LookupTXT(ctx, name)
	if err != nil || len(txts) != 1 {
		return e.defaultExplanation(f.domain)
	}
	// RFC 7208 §6.2: the text is an explain-string of US-ASCII.
	text := txts[0]
	if _, err := checkMacroString(text, true, true); err != nil {
		return e.defaultExplanation(f.domain)
	}
	if usesPMacro(text) {
		e.env.validated = e.validatedName(ctx, f.domain)
	}
	exp, err := e.env.expand(text, f.domain, true)
	if err != nil {
		return e.defaultExplanation(f.domain)
	}
	return exp
}

func (e *evaluation) defaultExplanation(domain string) string {
	exp, _ := e.env.expand(defaultExplanation, domain, true)
	return exp
}

// validatedName returns the p macro for domain: a validated name of the
// client, preferring domain or one of its subdomains, else "unknown"
// (RFC 7208 §7.3). The PTR and address lookups happen once per check.
func (e *evaluation) validatedName(ctx context.Context, domain string) string {
	if !e.ptrLooked {
		e.ptrNames, e.ptrLooked = e.validateNames(ctx), true
	}
	for _, name := range e.ptrNames {
		if isSubdomain(name, domain) {
			return name
		}
	}
	if len(e.ptrNames) > 0 {
		return e.ptrNames[0]
	}
	return "unknown"
}

// validateNames returns the names of the client's address that lead back
// to it (RFC 7208 §5.5), among the first ten PTR names (RFC 7208 §4.6.4).
func (e *evaluation) validateNames(ctx context.Context) []string {
	var valid []string
	names, err := e.resolver.LookupAddr(ctx, e.env.ip.String())
	if err != nil {
		return nil
	}
	for _, name := range names[:min(len(names), 10)] {
		addrs, err := LookupFamily(ctx, e.resolver, e.env.ip.Is4(), name)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ip, ok := netipFromIP(a.IP); ok && ip == e.env.ip {
				valid = append(valid, strings.TrimSuffix(name, "."))
				break
			}
		}
	}
	return valid
}

// isSubdomain reports whether name is domain or below it, ignoring case
// and trailing dots.
func isSubdomain(name, domain string) bool {
	name, domain = strings.TrimSuffix(name, "."), strings.TrimSuffix(domain, ".")
	if len(name) < len(domain) || !strings.EqualFold(name[len(name)-len(domain):], domain) {
		return false
	}
	return len(name) == len(domain) || name[len(name)-len(domain)-1] == '.'
}

// netipFromIP converts a net.IP, unmapping IPv4-mapped addresses.
func netipFromIP(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}
