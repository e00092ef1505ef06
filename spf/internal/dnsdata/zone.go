package dnsdata

import (
	"io"
	"strings"

	"github.com/miekg/dns"
)

// A Zone is RFC 1035 zone data, answered as a recursive server would: it
// follows CNAME chains, synthesizes answers from wildcards, and tells
// NXDOMAIN from "no data", with an SOA (a stand-in where the zone text has
// none, RFC 2308 §3). It is not changed after Parse, so it is safe for
// concurrent use.
type Zone struct {
	// names holds every name of the zone, in CanonicalName's form, with
	// its records by type; empty non-terminals map to an empty map.
	names map[string]map[uint16][]dns.RR
}

// defaultTTL is the TTL of zone records that give none.
const defaultTTL = 3600

// Parse reads RFC 1035 zone text; relative names are relative to origin.
// Records with no TTL and no $TTL before them get one hour, so that test
// zones can leave TTLs out. $INCLUDE is not allowed.
func Parse(text io.Reader, origin string) (*Zone, error) {
	if origin != "" {
		origin = dns.Fqdn(origin)
	}
	z := &Zone{names: make(map[string]map[uint16][]dns.RR)}
	zp := dns.NewZoneParser(text, origin, "")
	zp.SetDefaultTTL(defaultTTL)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.add(rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	return z, nil
}

// add stores rr and marks the names above its owner as existing: RFC 4592
// §2.2.2, an empty non-terminal exists, so it gets "no data" rather than
// NXDOMAIN and blocks wildcard synthesis below it.
func (z *Zone) add(rr dns.RR) {
	owner := CanonicalName(rr.Header().Name)
	types := z.names[owner]
	if types == nil {
		types = make(map[uint16][]dns.RR)
		z.names[owner] = types
	}
	types[rr.Header().Rrtype] = append(types[rr.Header().Rrtype], rr)
	for name := parentName(owner); name != ""; name = parentName(name) {
		if _, ok := z.names[name]; ok {
			break
		}
		z.names[name] = map[uint16][]dns.RR{}
	}
}

// An Answer is what a recursive server answers to one question.
type Answer struct {
	Records []dns.RR // the CNAME chain, then the records asked for
	Rcode   int      // dns.RcodeSuccess, dns.RcodeNameError, or dns.RcodeServerFailure for a CNAME loop
	SOA     *dns.SOA // on negative answers, the zone's SOA or a stand-in
}

// Query answers name and qtype as a recursive server would.
func (z *Zone) Query(name string, qtype uint16) Answer {
	var a Answer
	for range MaxCNAMEHops {
		types, owner := z.find(name)
		if types == nil {
			a.Rcode = dns.RcodeNameError
			a.SOA = z.soaFor(name)
			return a
		}
		if rrs := types[qtype]; len(rrs) > 0 {
			a.Records = append(a.Records, withOwner(rrs, owner, name)...)
			return a
		}
		cname := types[dns.TypeCNAME]
		if len(cname) == 0 {
			a.SOA = z.soaFor(name) // no data
			return a
		}
		a.Records = append(a.Records, withOwner(cname, owner, name)...)
		name = cname[0].(*dns.CNAME).Target
	}
	// A CNAME loop or an overlong chain: a recursive server gives up.
	return Answer{Rcode: dns.RcodeServerFailure}
}

// find returns the records of name and the owner they were stored under:
// the name itself when it exists, else the wildcard at its closest encloser
// (RFC 4592 §3.3), else nil.
func (z *Zone) find(name string) (map[uint16][]dns.RR, string) {
	name = CanonicalName(name)
	if types, ok := z.names[name]; ok {
		return types, name
	}
	for encloser := parentName(name); encloser != ""; encloser = parentName(encloser) {
		if _, ok := z.names[encloser]; !ok {
			continue
		}
		wild := "*." + encloser
		if encloser == "." {
			wild = "*."
		}
		if types, ok := z.names[wild]; ok {
			return types, wild
		}
		return nil, ""
	}
	return nil, ""
}

// soaFor returns the SOA of the closest zone apex at or above name, for
// the negative TTL (RFC 2308 §3), or, when the zone text has none there, a
// stand-in for the root, whose TTL and MINIMUM are the default TTL of
// records: RFC 2308 §3 wants an SOA in every negative answer, and without
// one a "no data" reached through a CNAME reads as a server that did not
// follow the chain (RFC 1034 §4.3.2 step 3a).
func (z *Zone) soaFor(name string) *dns.SOA {
	for name = CanonicalName(name); name != ""; name = parentName(name) {
		if soa := z.names[name][dns.TypeSOA]; len(soa) > 0 {
			return soa[0].(*dns.SOA)
		}
	}
	return &dns.SOA{
		Hdr:    dns.RR_Header{Name: ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: defaultTTL},
		Ns:     ".",
		Mbox:   ".",
		Minttl: defaultTTL,
	}
}

// withOwner returns rrs as they answer name: wildcard records are copied
// under the name asked (RFC 4592 §3.3), others are shared as they are.
func withOwner(rrs []dns.RR, owner, name string) []dns.RR {
	if !strings.HasPrefix(owner, "*.") || owner == CanonicalName(name) {
		return rrs
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

// parentName returns the name one label up from an absolute name, "." for
// a top-level name and "" for the root.
func parentName(name string) string {
	if name == "." {
		return ""
	}
	if i, end := dns.NextLabel(name, 0); !end {
		return name[i:]
	}
	return "."
}
