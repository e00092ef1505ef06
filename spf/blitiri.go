package spf

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"

	blitiri "blitiri.com.ar/go/spf"
)

// This file is the adapter to blitiri.com.ar/go/spf: the one place that
// knows how blitiri reads records and what its trace says. blitiri_test.go
// pins what it relies on, so that an upgrade that changes it fails loudly.
//
// The evaluation stands between blitiri and the Resolver as blitiri's
// DNSResolver. It hands each record over with its macros expanded, its
// domains in a form blitiri reads as RFC 7208 means them, and its redirect
// marked; and it reads blitiri's trace to learn which directive matched.

// The lines of blitiri's trace that say which directive matched.
const (
	traceAll     = "all: %v"             // "all" matched; the result
	traceMatch   = "%q %v, %v"           // a directive matched: as handed over without its qualifier, the result, the error
	traceNeutral = "fallback to neutral" // no directive matched
)

// boundOptions are the blitiri options that make an evaluation blitiri's
// resolver and trace: the same for every check it does.
type boundOptions [2]blitiri.Option

func (e *evaluation) bindOptions() boundOptions {
	return boundOptions{blitiri.WithResolver(e), blitiri.WithTraceFunc(e.trace)}
}

// run evaluates the checked domain's record with blitiri (RFC 7208 §4).
func (e *evaluation) run(ctx context.Context, ip netip.Addr, helo, sender, domain string) Result {
	// Macros reach blitiri already expanded, so the sender it is given only
	// names the domain; blitiri splits at the first "@".
	if strings.Count(sender, "@") != 1 {
		sender = "@" + domain
	}
	res, _ := blitiri.CheckHostWithSender(ip.AsSlice(), helo, sender,
		blitiri.WithContext(ctx), e.bound[0], e.bound[1])
	return Result(res)
}

// A tokenTarget is what a token name handed to blitiri stands for.
type tokenTarget struct {
	name       string
	redirectOf *fetchedRecord // the record whose redirect= this is
	exists     bool           // the target of exists:, always looked up as A
}

// tokenSuffix ends the names that stand for other names. RFC 2606 reserves
// "invalid", so no real policy can need such a name in its own right.
const tokenSuffix = ".spf-token.invalid"

// LookupTXT fetches the SPF record of name for blitiri, which evaluates the
// record it gets back.
func (e *evaluation) LookupTXT(ctx context.Context, name string) ([]string, error) {
	target := e.target(name)
	if !isQueryable(target.name) {
		return nil, errNoSuchName(target.name)
	}
	f, err := e.fetch(ctx, target.name, target.redirectOf)
	if f == nil {
		return nil, err
	}
	if f.rec.needsRewrite() || target.name != name {
		f.answer[0] = e.rewrite(ctx, f)
	}
	return f.answer[:], nil
}

// LookupMX implements blitiri's DNSResolver.
func (e *evaluation) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if name = e.target(name).name; !isQueryable(name) {
		return nil, errNoSuchName(name)
	}
	return e.resolver.LookupMX(ctx, name)
}

// LookupIPAddr implements blitiri's DNSResolver: the addresses of the
// client's family only (RFC 7208 §5.3, §5.4, §5.5), or for exists: the A
// records whatever the client (RFC 7208 §5.7).
func (e *evaluation) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	target := e.target(host)
	if !isQueryable(target.name) {
		return nil, errNoSuchName(target.name)
	}
	return LookupFamily(ctx, e.resolver, e.env.ip.Is4() || target.exists, target.name)
}

// LookupAddr implements blitiri's DNSResolver.
func (e *evaluation) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return e.resolver.LookupAddr(ctx, addr)
}

// target resolves a name blitiri asks for: a token stands for the name it
// was made for, any other name for itself.
func (e *evaluation) target(name string) tokenTarget {
	if t, ok := e.tokens[name]; ok {
		return t
	}
	return tokenTarget{name: name}
}

// token returns a fresh name standing for t.
func (e *evaluation) token(t tokenTarget) string {
	if e.tokens == nil {
		e.tokens = make(map[string]tokenTarget)
	}
	tok := "t" + strconv.Itoa(len(e.tokens)) + tokenSuffix
	e.tokens[tok] = t
	return tok
}

// nameFor returns name as blitiri may read it: itself when it is plain,
// else a token. blitiri rejects "/" in names and splits terms at ":" and
// "/", which RFC 7208 §7.1 allows in a domain-spec.
func (e *evaluation) nameFor(name string) string {
	if isPlainName(name) {
		return name
	}
	return e.token(tokenTarget{name: name})
}

// isPlainName reports whether a name is letters, digits, "-", "_" and "."
// only, outside the token namespace.
func isPlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return name != "" && !hasSuffixFold(strings.TrimSuffix(name, "."), ".invalid")
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// needsRewrite reports whether blitiri could misread the record as written:
// it has macros, names blitiri cannot take as they are, or a redirect to
// follow, or an exists: to mark.
func (r *record) needsRewrite() bool {
	if r.macros || r.redirect >= 0 {
		return true
	}
	for _, t := range r.terms {
		if t.kind == termExists || (t.kind != termExp && t.domain != "" && !isPlainName(t.domain)) {
			return true
		}
	}
	return false
}

// rewrite renders a record for blitiri: macros expanded (RFC 7208 §7),
// every domain explicit, exp= and unknown modifiers left out (blitiri
// ignores them) and the redirect target a token that marks it.
func (e *evaluation) rewrite(ctx context.Context, f *fetchedRecord) string {
	if f.rec.pMacro {
		e.env.validated = e.validatedName(ctx, f.domain)
	}
	var b strings.Builder
	b.WriteString("v=spf1")
	f.compiled = make([]string, len(f.rec.terms))
	for i, t := range f.rec.terms {
		start := b.Len() + 1
		switch t.kind {
		case termExp, termUnknownModifier:
			continue
		case termRedirect:
			name, _ := e.env.expandDomain(t.domain, f.domain)
			b.WriteString(" redirect=")
			b.WriteString(e.token(tokenTarget{name: name, redirectOf: f}))
		case termAll, termIP4, termIP6:
			b.WriteByte(' ')
			b.WriteString(t.text)
		default:
			name := f.domain
			if t.domain != "" {
				name, _ = e.env.expandDomain(t.domain, f.domain)
			}
			b.WriteByte(' ')
			b.WriteByte(t.qualifier)
			b.WriteString(mechanismNames[t.kind])
			b.WriteByte(':')
			if t.kind == termExists {
				b.WriteString(e.token(tokenTarget{name: name, exists: true}))
			} else {
				b.WriteString(e.nameFor(name))
			}
			if t.cidr4 >= 0 {
				b.WriteByte('/')
				b.WriteString(strconv.Itoa(int(t.cidr4)))
			}
			if t.cidr6 >= 0 {
				b.WriteString("//")
				b.WriteString(strconv.Itoa(int(t.cidr6)))
			}
		}
		f.compiled[i] = b.String()[start:]
	}
	return b.String()
}

var mechanismNames = [...]string{
	termInclude: "include",
	termA:       "a",
	termMX:      "mx",
	termPTR:     "ptr",
	termExists:  "exists",
}

// trace follows blitiri's trace to learn which directive matched: it
// reports the matching directive of each level on the way back up, so the
// last one reported belongs to the record that decided.
func (e *evaluation) trace(format string, args ...any) {
	switch format {
	case traceAll:
		e.matched = "all"
	case traceMatch:
		if s, ok := args[0].(string); ok {
			e.matched = s
		}
	case traceNeutral:
		e.matched = ""
	}
}

// matchedTerm returns the directive of f that blitiri reported as matched
// (without its qualifier, as rewritten), as written in the record; or
// "default" when none matched (RFC 7208 §4.7).
func (f *fetchedRecord) matchedTerm(matched string) string {
	if matched == "" || f == nil {
		return "default"
	}
	for i, t := range f.rec.terms {
		if t.qualifier == 0 {
			continue
		}
		text := t.text
		if f.compiled != nil {
			text = f.compiled[i]
		}
		if text != "" && isQualifier(text[0]) {
			text = text[1:]
		}
		if strings.EqualFold(text, matched) {
			return t.text
		}
	}
	return matched
}
