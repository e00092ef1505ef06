package resolver

import (
	"context"
	"math"
	"net"
	"slices"
	"time"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf/internal/dnsdata"
)

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
// (RFC 2181 §8). It reports false when the chain loops or runs longer than
// dnsdata.MaxCNAMEHops.
func rrsetOf(qname string, answer []dns.RR, qtype uint16, soa *dns.SOA) (rrset, bool) {
	set := rrset{ttl: ^uint32(0), hasTTL: true}
	name := dnsdata.CanonicalName(qname)
	for range dnsdata.MaxCNAMEHops {
		var target string
		for _, rr := range answer {
			h := rr.Header()
			if dnsdata.CanonicalName(h.Name) != name {
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
			name = dnsdata.CanonicalName(target)
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
		set, err := resolve(ctx, dnsdata.CanonicalName(q.name), dns.TypeTXT)
		a := lookupAnswer{ttl: ttlOf(set), hasTTL: set.hasTTL}
		for _, rr := range set.rrs {
			if txt, ok := rr.(*dns.TXT); ok {
				a.txt = append(a.txt, dnsdata.JoinTXT(txt.Txt))
			}
		}
		return a, err
	case queryMX:
		set, err := resolve(ctx, dnsdata.CanonicalName(q.name), dns.TypeMX)
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
	host, name := q.name, dnsdata.CanonicalName(q.name)
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
		return a, dnsdata.NotFound(host)
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
