package spf

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// A ZoneResolver answers from RFC 1035 zone text as a recursive server
// would: it follows CNAME chains, synthesizes answers from wildcards, and
// tells NXDOMAIN from "no data", with an SOA (a stand-in where the zone text
// has none, RFC 2308 §3). Faults injected per name make it fail like
// a broken server, for tests. Names may hold any octet, as such or in RFC
// 1035 escapes (\032). It is safe for concurrent use.
//
// ZoneResolver also implements dns.Handler, so a dns.Server can serve the
// same answers over UDP and TCP.
type ZoneResolver struct {
	// names holds every name of the zone, lower-cased and absolute, with
	// its records by type; empty non-terminals map to an empty map.
	names map[string]map[uint16][]dns.RR

	// faults is replaced, never changed, by Inject: lookups read it
	// without locking.
	faults   atomic.Pointer[map[string]Fault]
	injectMu sync.Mutex
}

// defaultZoneTTL is the TTL of zone records that give none.
const defaultZoneTTL = 3600

// A Fault makes a ZoneResolver fail for one name, as a broken server would.
type Fault int

const (
	// FaultNone removes an injected fault: the name answers again.
	FaultNone Fault = iota
	// FaultServFail answers SERVFAIL: a temporary *net.DNSError.
	FaultServFail
	// FaultTimeout never answers: lookups block until their context is
	// done and then return a temporary *net.DNSError with IsTimeout, and
	// ServeDNS sends no reply at all.
	FaultTimeout
)

// NewZoneResolver reads RFC 1035 zone text; relative names are relative to
// origin. Records with no TTL and no $TTL before them get one hour, so
// that test zones can leave TTLs out. $INCLUDE is not allowed.
func NewZoneResolver(zone io.Reader, origin string) (*ZoneResolver, error) {
	if origin != "" {
		origin = dns.Fqdn(origin)
	}
	z := &ZoneResolver{names: make(map[string]map[uint16][]dns.RR)}
	zp := dns.NewZoneParser(zone, origin, "")
	zp.SetDefaultTTL(defaultZoneTTL)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.add(rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("spf: zone: %w", err)
	}
	return z, nil
}

// add stores rr and marks the names above its owner as existing: RFC 4592
// §2.2.2, an empty non-terminal exists, so it gets "no data" rather than
// NXDOMAIN and blocks wildcard synthesis below it.
func (z *ZoneResolver) add(rr dns.RR) {
	owner := canonicalName(rr.Header().Name)
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

// Inject makes every query for name (and any CNAME chain through it) fail
// with f from now on, or, with FaultNone, answer again.
func (z *ZoneResolver) Inject(name string, f Fault) {
	z.injectMu.Lock()
	defer z.injectMu.Unlock()
	faults := map[string]Fault{}
	if old := z.faults.Load(); old != nil {
		faults = maps.Clone(*old)
	}
	if f == FaultNone {
		delete(faults, canonicalName(name))
	} else {
		faults[canonicalName(name)] = f
	}
	z.faults.Store(&faults)
}

// zoneResult is the outcome of a query against the zone.
type zoneResult struct {
	answer []dns.RR // the CNAME chain, then the records asked for
	rcode  int      // dns.RcodeSuccess, dns.RcodeNameError or dns.RcodeServerFailure
	soa    *dns.SOA // on negative answers, the zone's SOA or a stand-in
	fault  Fault    // the fault that was hit, if any
}

// query answers name and qtype as a recursive server would.
func (z *ZoneResolver) query(name string, qtype uint16) zoneResult {
	var res zoneResult
	for range maxCNAMEHops {
		if f := z.fault(name); f != FaultNone {
			return zoneResult{rcode: dns.RcodeServerFailure, fault: f}
		}
		types, owner := z.find(name)
		if types == nil {
			res.rcode = dns.RcodeNameError
			res.soa = z.soaFor(name)
			return res
		}
		if rrs := types[qtype]; len(rrs) > 0 {
			res.answer = append(res.answer, withOwner(rrs, owner, name)...)
			return res
		}
		cname := types[dns.TypeCNAME]
		if len(cname) == 0 {
			res.soa = z.soaFor(name) // no data
			return res
		}
		res.answer = append(res.answer, withOwner(cname, owner, name)...)
		name = cname[0].(*dns.CNAME).Target
	}
	// A CNAME loop or an overlong chain: a recursive server gives up.
	return zoneResult{rcode: dns.RcodeServerFailure}
}

// fault returns the fault injected for name, if any.
func (z *ZoneResolver) fault(name string) Fault {
	faults := z.faults.Load()
	if faults == nil {
		return FaultNone
	}
	return (*faults)[canonicalName(name)]
}

// find returns the records of name and the owner they were stored under:
// the name itself when it exists, else the wildcard at its closest encloser
// (RFC 4592 §3.3), else nil.
func (z *ZoneResolver) find(name string) (map[uint16][]dns.RR, string) {
	name = canonicalName(name)
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
func (z *ZoneResolver) soaFor(name string) *dns.SOA {
	for name = canonicalName(name); name != ""; name = parentName(name) {
		if soa := z.names[name][dns.TypeSOA]; len(soa) > 0 {
			return soa[0].(*dns.SOA)
		}
	}
	return &dns.SOA{
		Hdr:    dns.RR_Header{Name: ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: defaultZoneTTL},
		Ns:     ".",
		Mbox:   ".",
		Minttl: defaultZoneTTL,
	}
}

// withOwner returns rrs as they answer name: wildcard records are copied
// under the name asked (RFC 4592 §3.3), others are shared as they are.
func withOwner(rrs []dns.RR, owner, name string) []dns.RR {
	if !strings.HasPrefix(owner, "*.") || owner == canonicalName(name) {
		return rrs
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (z *ZoneResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := z.lookup(ctx, lookupQuery{queryTXT, name})
	return a.txt, err
}

// LookupMX returns the MX records of name, sorted by preference.
func (z *ZoneResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := z.lookup(ctx, lookupQuery{queryMX, name})
	return a.mx, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (z *ZoneResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	a, err := z.lookup(ctx, lookupQuery{queryIP, host})
	return a.ips, err
}

// LookupNetIP returns the addresses of host: network "ip4" asks for its A
// records only, "ip6" for its AAAA records only, "ip" for both.
func (z *ZoneResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return lookupNetIP(ctx, z, network, host)
}

// LookupAddr returns the names an address maps to (its PTR records).
func (z *ZoneResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := z.lookup(ctx, lookupQuery{queryPTR, addr})
	return a.names, err
}

// lookup implements ttlResolver.
func (z *ZoneResolver) lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	return lookupWith(ctx, q, z.resolve, false)
}

// resolve is the zone's resolveFunc.
func (z *ZoneResolver) resolve(ctx context.Context, name string, qtype uint16) (rrset, error) {
	if ctx.Err() != nil {
		return rrset{}, errContext(ctx, name)
	}
	res := z.query(name, qtype)
	switch {
	case res.fault == FaultTimeout:
		<-ctx.Done()
		return rrset{}, errTimeout(name)
	case res.rcode == dns.RcodeServerFailure:
		return rrset{}, errTemporary(name, "server misbehaving")
	}
	set, _ := rrsetOf(name, res.answer, qtype, res.soa) // query stopped any loop
	if len(set.rrs) == 0 {
		return set, errNotFound(name)
	}
	return set, nil
}

// ServeDNS answers a query with the zone's records, as a recursive server
// would: SERVFAIL for FaultServFail and for CNAME loops, no reply at all for
// FaultTimeout. UDP answers that do not fit the client's EDNS0 buffer size
// (512 bytes without EDNS0, RFC 1035 §4.2.1) are truncated with TC set, so
// that the client retries over TCP.
func (z *ZoneResolver) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	switch {
	case req.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case len(req.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	default:
		q := req.Question[0]
		res := z.query(q.Name, q.Qtype)
		if res.fault == FaultTimeout {
			return
		}
		m.Rcode, m.Answer = res.rcode, res.answer
		if res.soa != nil {
			m.Ns = []dns.RR{res.soa}
		}
	}
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(size, int(opt.UDPSize()))
		m.SetEdns0(ednsSize, false) // RFC 6891 §7: answer EDNS0 with EDNS0
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(size)
	}
	_ = w.WriteMsg(m) // the client's retry or timeout covers a failed write
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
