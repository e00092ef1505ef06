package spf

import (
	"context"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver answers the DNS queries an SPF evaluation needs. It has the
// method set of blitiri.com.ar/go/spf's DNSResolver and of *net.Resolver, so
// either can be used where the other is expected.
//
// Errors must be bare *net.DNSError values, never wrapped: blitiri spf tells
// "not found" from "temporary" by a type assertion, and any other error turns
// a SERVFAIL into permerror. IsNotFound marks NXDOMAIN and "no data";
// IsTemporary (and IsTimeout) mark SERVFAIL, REFUSED, timeouts and any other
// failure. Results have the formats of *net.Resolver: the strings of one TXT
// record joined without separators, MX hosts and PTR names with a trailing
// dot, MX records sorted by preference.
//
// A Resolver that also has LookupNetIP(ctx, network, host) ([]netip.Addr,
// error), as *net.Resolver and this package's resolvers do, is asked for
// the addresses of the client's family only ("ip4" or "ip6"); any other is
// asked for both and its answer filtered (RFC 7208 §5.3).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) (names []string, err error)
}

// netIPResolver is implemented by resolvers that can look up the addresses
// of one family, as *net.Resolver and this package's resolvers can; the
// evaluation asks them only for the client's family (RFC 7208 §5.3, §5.4,
// §5.5). Other resolvers are asked for both and the answer filtered.
type netIPResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// maxCNAMEHops bounds a CNAME chain, so that a loop ends in an error.
const maxCNAMEHops = 16

// ednsSize is the EDNS0 UDP payload size offered and accepted: 1232 bytes
// avoids IP fragmentation on common paths (DNS Flag Day 2020; RFC 9715).
const ednsSize = 1232

// errNotFound reports NXDOMAIN or "no data" for name.
func errNotFound(name string) *net.DNSError {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// errTemporary reports a failure that may go away on retry (SERVFAIL,
// REFUSED, an unusable answer); why says which.
func errTemporary(name, why string) *net.DNSError {
	return &net.DNSError{Err: why, Name: name, IsTemporary: true}
}

// errTimeout reports that no answer came in time for name.
func errTimeout(name string) *net.DNSError {
	return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
}

// errContext reports that ctx ended before an answer came: a timeout when
// its deadline passed, else a cancellation; both are temporary.
func errContext(ctx context.Context, name string) *net.DNSError {
	if ctx.Err() == context.DeadlineExceeded {
		return errTimeout(name)
	}
	return errTemporary(name, "operation was canceled")
}

// lookupKind names one of the four Resolver methods.
type lookupKind uint8

const (
	queryTXT lookupKind = iota
	queryMX
	queryIP
	queryPTR
	queryIP4 // A records only
	queryIP6 // AAAA records only
)

// A lookupQuery is one Resolver method call: the method and its argument.
type lookupQuery struct {
	kind lookupKind
	name string
}

// A lookupAnswer is the result of a lookupQuery in the formats of *net.Resolver,
// with how long it may be cached.
type lookupAnswer struct {
	txt   []string     // queryTXT
	mx    []*net.MX    // queryMX
	ips   []net.IPAddr // queryIP, queryIP4, queryIP6
	names []string     // queryPTR

	// ttl is how long the answer (positive or negative) may be reused;
	// hasTTL is false when the source did not say (e.g. no SOA in a
	// negative answer).
	ttl    time.Duration
	hasTTL bool
}

// ttlResolver is implemented by the resolvers of this package, whose
// answers carry TTLs; Cache uses it to respect them.
type ttlResolver interface {
	lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error)
}

// rrset is the outcome of resolving one name and type: the records of that
// type at the end of any CNAME chain, the TTL that bounds their reuse
// (the smallest in the chain, or the SOA's negative TTL, RFC 2308 §5), and
// whether there was a chain.
type rrset struct {
	rrs     []dns.RR
	ttl     uint32
	hasTTL  bool
	aliased bool // the name asked has a CNAME, followed to the records
}

// rrsetOf picks from an answer section the records of qtype for qname,
// following the CNAME chain that leads to them (RFC 1034 §3.6.2: a
// recursive server includes the chain). soa, from a negative answer, gives
// the negative TTL: the smallest of its TTL, its MINIMUM field and the
// chain's TTLs (RFC 2308 §5). TTLs with the top bit set count as zero
// (RFC 2181 §8). It reports false when the chain loops or runs longer than maxCNAMEHops.
func rrsetOf(qname string, answer []dns.RR, qtype uint16, soa *dns.SOA) (rrset, bool) {
	set := rrset{ttl: ^uint32(0), hasTTL: true}
	name := canonicalName(qname)
	for range maxCNAMEHops {
		var target string
		for _, rr := range answer {
			h := rr.Header()
			if canonicalName(h.Name) != name {
				continue
			}
			switch h.Rrtype {
			case qtype:
				set.rrs = append(set.rrs, rr)
				set.ttl = min(set.ttl, sanitizeTTL(h.Ttl))
			case dns.TypeCNAME:
				target = rr.(*dns.CNAME).Target
				set.ttl = min(set.ttl, sanitizeTTL(h.Ttl))
			}
		}
		switch {
		case len(set.rrs) > 0:
			return set, true
		case target != "":
			name = canonicalName(target)
			set.aliased = true
			continue
		case soa != nil:
			// RFC 2308 §5: a negative answer reached through a CNAME
			// lasts no longer than the chain.
			set.ttl = min(set.ttl, sanitizeTTL(soa.Hdr.Ttl), sanitizeTTL(soa.Minttl))
		case set.ttl == ^uint32(0):
			return rrset{}, true // no chain, no SOA: no TTL known
		}
		return set, true
	}
	return rrset{}, false
}

// sanitizeTTL reads a TTL with its top bit set as zero (RFC 2181 §8).
func sanitizeTTL(ttl uint32) uint32 {
	if ttl > math.MaxInt32 {
		return 0
	}
	return ttl
}

// resolveFunc resolves a fully qualified name and a type. Its errors are
// *net.DNSError values naming the queried name.
type resolveFunc func(ctx context.Context, name string, qtype uint16) (rrset, error)

// lookupWith answers q with resolve, converting the records into the formats
// of *net.Resolver. Errors name the name or address as the caller gave it.
// With parallel, the A and AAAA queries of an address lookup are made at
// once, as net.Resolver does: worth it when they wait on the network.
func lookupWith(ctx context.Context, q lookupQuery, resolve resolveFunc, parallel bool) (lookupAnswer, error) {
	a, err := convertWith(ctx, q, resolve, parallel)
	if derr, ok := err.(*net.DNSError); ok {
		derr.Name = q.name
	}
	return a, err
}

// convertWith does the work of lookupWith.
func convertWith(ctx context.Context, q lookupQuery, resolve resolveFunc, parallel bool) (lookupAnswer, error) {
	switch q.kind {
	case queryTXT:
		set, err := resolve(ctx, canonicalName(q.name), dns.TypeTXT)
		a := lookupAnswer{ttl: ttlOf(set), hasTTL: set.hasTTL}
		for _, rr := range set.rrs {
			if txt, ok := rr.(*dns.TXT); ok {
				a.txt = append(a.txt, joinTXT(txt.Txt))
			}
		}
		return a, err
	case queryMX:
		set, err := resolve(ctx, canonicalName(q.name), dns.TypeMX)
		a := lookupAnswer{ttl: ttlOf(set), hasTTL: set.hasTTL}
		for _, rr := range set.rrs {
			if mx, ok := rr.(*dns.MX); ok {
				a.mx = append(a.mx, &net.MX{Host: mx.Mx, Pref: mx.Preference})
			}
		}
		// As net.Resolver does (RFC 5321 §5.1: lower preference first).
		slices.SortStableFunc(a.mx, func(x, y *net.MX) int { return int(x.Pref) - int(y.Pref) })
		return a, err
	case queryIP, queryIP4, queryIP6:
		return lookupIP(ctx, q, resolve, parallel)
	default:
		rev, err := dns.ReverseAddr(q.name)
		if err != nil {
			return lookupAnswer{}, &net.DNSError{Err: "unrecognized address", Name: q.name}
		}
		set, err := resolve(ctx, rev, dns.TypePTR)
		a := lookupAnswer{ttl: ttlOf(set), hasTTL: set.hasTTL}
		for _, rr := range set.rrs {
			if ptr, ok := rr.(*dns.PTR); ok {
				a.names = append(a.names, ptr.Ptr)
			}
		}
		return a, err
	}
}

// lookupIP asks for the A records of a host (queryIP4), its AAAA records
// (queryIP6), or both (queryIP). The host is not found only when no type
// asked has records; a temporary failure of either is the result, since
// the missing half could have held the address sought.
func lookupIP(ctx context.Context, q lookupQuery, resolve resolveFunc, parallel bool) (lookupAnswer, error) {
	host, name := q.name, canonicalName(q.name)
	var set4, set6 rrset
	var err4, err6 error
	switch {
	case q.kind == queryIP4:
		set4, err4 = resolve(ctx, name, dns.TypeA)
	case q.kind == queryIP6:
		set6, err6 = resolve(ctx, name, dns.TypeAAAA)
	case parallel:
		aaaa := resolveAsync(ctx, name, dns.TypeAAAA, resolve)
		set4, err4 = resolve(ctx, name, dns.TypeA)
		r := <-aaaa
		set6, err6 = r.set, r.err
	default:
		set4, err4 = resolve(ctx, name, dns.TypeA)
		set6, err6 = resolve(ctx, name, dns.TypeAAAA)
	}
	var a lookupAnswer
	a.ttl, a.hasTTL = shorterTTL(set4, set6)
	for _, err := range []error{err4, err6} {
		if derr, ok := err.(*net.DNSError); ok && !derr.IsNotFound {
			return a, err
		}
	}
	for _, rr := range set4.rrs {
		if r, ok := rr.(*dns.A); ok {
			a.ips = append(a.ips, net.IPAddr{IP: r.A.To4()})
		}
	}
	for _, rr := range set6.rrs {
		if r, ok := rr.(*dns.AAAA); ok {
			a.ips = append(a.ips, net.IPAddr{IP: r.AAAA})
		}
	}
	if len(a.ips) == 0 {
		return a, errNotFound(host)
	}
	return a, nil
}

// resolved is the outcome of a resolveFunc call.
type resolved struct {
	set rrset
	err error
}

// resolveAsync calls resolve in a goroutine; the channel gives its outcome.
func resolveAsync(ctx context.Context, name string, qtype uint16, resolve resolveFunc) <-chan resolved {
	ch := make(chan resolved, 1)
	go func() {
		set, err := resolve(ctx, name, qtype)
		ch <- resolved{set, err}
	}()
	return ch
}

// shorterTTL returns the shorter of two TTLs, ignoring an unknown one.
func shorterTTL(x, y rrset) (time.Duration, bool) {
	switch {
	case x.hasTTL && y.hasTTL:
		return min(ttlOf(x), ttlOf(y)), true
	case x.hasTTL:
		return ttlOf(x), true
	case y.hasTTL:
		return ttlOf(y), true
	}
	return 0, false
}

func ttlOf(s rrset) time.Duration { return time.Duration(s.ttl) * time.Second }

// joinTXT joins the character-strings of one TXT record without separators,
// undoing the presentation escapes miekg/dns keeps, as RFC 7208 §3.3 asks.
func joinTXT(parts []string) string {
	if len(parts) == 1 && !strings.Contains(parts[0], `\`) {
		return parts[0]
	}
	// Escapes only shorten: one allocation, with no spare room for a
	// Cache to keep unaccounted.
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	var b strings.Builder
	b.Grow(size)
	for _, p := range parts {
		for i := 0; i < len(p); {
			c, next, _ := nextOctet(p, i)
			b.WriteByte(c)
			i = next
		}
	}
	return b.String()
}

// canonicalName returns name absolute, lower-cased (RFC 4343: names compare
// without regard to case) and escaped one way, so that names compare equal
// whatever their source. Zone text and miekg/dns write special octets as
// \X or \DDD (RFC 1035 §5.1), and not always the same way; callers of the
// Resolver methods, such as blitiri spf after macro expansion, give them as
// they are (a space, say). Escapes are undone, then every octet that is not
// plain in zone text is written as \DDD, and a dot within a label as \.
func canonicalName(name string) string {
	if plain, upper := scanName(name); plain {
		if upper {
			name = strings.ToLower(name)
		}
		return dns.Fqdn(name)
	}
	var b strings.Builder
	ended := false // by an unescaped dot
	for i := 0; i < len(name); {
		c, next, escaped := nextOctet(name, i)
		i = next
		switch {
		case c == '.' && !escaped:
			b.WriteByte('.')
		case c == '.':
			b.WriteString(`\.`)
		case isSpecialInName(c):
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		default:
			b.WriteByte(lowerASCII(c))
		}
		ended = c == '.' && !escaped
	}
	if !ended {
		b.WriteByte('.')
	}
	return b.String()
}

// scanName reports whether name has no octet that isSpecialInName, and
// whether it has upper-case letters: the common case, made fast.
func scanName(name string) (plain, upper bool) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isSpecialInName(c) {
			return false, upper
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	return true, upper
}

// isSpecialInName reports whether an octet of a name needs an escape in
// zone text (RFC 1035 §5.1), or is the escape character itself.
func isSpecialInName(c byte) bool {
	switch c {
	case '"', '(', ')', ';', '@', '$', '\\':
		return true
	}
	return c <= ' ' || c >= 0x7f
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// nextOctet returns the octet at s[i], undoing an escape there (RFC 1035
// §5.1: \X is X, \DDD is the octet DDD), and the index after it.
func nextOctet(s string, i int) (c byte, next int, escaped bool) {
	if s[i] != '\\' || i+1 == len(s) {
		return s[i], i + 1, false
	}
	if d := s[i+1 : min(i+4, len(s))]; len(d) == 3 && isDecimal(d) {
		n := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
		if n <= 0xff {
			return byte(n), i + 4, true
		}
	}
	return s[i+1], i + 2, true
}

func isDecimal(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
