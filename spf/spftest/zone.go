package spftest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf/internal/dnsdata"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// A Fault makes a Zone fail for one name, as a broken server would.
type Fault int

const (
	// NoFault removes an injected fault: the name answers again.
	NoFault Fault = iota
	// ServFail answers SERVFAIL: a temporary *net.DNSError.
	ServFail
	// Timeout never answers: lookups block until their context is done
	// and then return a temporary *net.DNSError with IsTimeout, and
	// ServeDNS sends no reply at all.
	Timeout
)

// A Zone answers from RFC 1035 zone text as a resolver.Zone does, except
// for the names given a Fault, which fail as a broken server would. It is
// an spf.Resolver, with LookupNetIP, and a dns.Handler that answers over
// DNS as a recursive server would. It is safe for concurrent use.
type Zone struct {
	zone *resolver.Zone // answers lookups
	data *dnsdata.Zone  // answers ServeDNS

	// faults is replaced, never changed, by Inject: lookups read it
	// without locking.
	faults   atomic.Pointer[map[string]Fault]
	injectMu sync.Mutex
}

// NewZone reads RFC 1035 zone text as resolver.NewZone does.
func NewZone(text io.Reader, origin string) (*Zone, error) {
	b, err := io.ReadAll(text)
	if err != nil {
		return nil, fmt.Errorf("spftest: zone: %w", err)
	}
	zone, err := resolver.NewZone(bytes.NewReader(b), origin)
	if err != nil {
		return nil, err
	}
	data, err := dnsdata.Parse(bytes.NewReader(b), origin)
	if err != nil {
		return nil, fmt.Errorf("spftest: zone: %w", err)
	}
	return &Zone{zone: zone, data: data}, nil
}

// Inject makes every query for name fail with f from now on, or, with
// NoFault, answer again. The fault is on the name asked: a CNAME chain
// through name is followed as usual. The name of LookupAddr's query is the
// address's reverse name (RFC 1035 §3.5).
func (z *Zone) Inject(name string, f Fault) {
	z.injectMu.Lock()
	defer z.injectMu.Unlock()
	faults := map[string]Fault{}
	if old := z.faults.Load(); old != nil {
		faults = maps.Clone(*old)
	}
	if f == NoFault {
		delete(faults, dnsdata.CanonicalName(name))
	} else {
		faults[dnsdata.CanonicalName(name)] = f
	}
	z.faults.Store(&faults)
}

// fault returns the fault injected for name, if any.
func (z *Zone) fault(name string) Fault {
	faults := z.faults.Load()
	if faults == nil {
		return NoFault
	}
	return (*faults)[dnsdata.CanonicalName(name)]
}

// fail returns the error of the fault injected for the name queried, if
// any, naming name as the caller gave it.
func (z *Zone) fail(ctx context.Context, queried, name string) error {
	f := z.fault(queried)
	switch {
	case f == NoFault:
		return nil
	case ctx.Err() != nil:
		return dnsdata.ContextError(ctx, name)
	case f == ServFail:
		return dnsdata.Temporary(name, "server misbehaving")
	}
	<-ctx.Done()
	return dnsdata.Timeout(name)
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err := z.fail(ctx, name, name); err != nil {
		return nil, err
	}
	return z.zone.LookupTXT(ctx, name)
}

// LookupMX returns the MX records of name, sorted by preference.
func (z *Zone) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if err := z.fail(ctx, name, name); err != nil {
		return nil, err
	}
	return z.zone.LookupMX(ctx, name)
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (z *Zone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if err := z.fail(ctx, host, host); err != nil {
		return nil, err
	}
	return z.zone.LookupIPAddr(ctx, host)
}

// LookupNetIP returns the addresses of host: network "ip4" asks for its A
// records only, "ip6" for its AAAA records only, "ip" for both.
func (z *Zone) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if err := z.fail(ctx, host, host); err != nil {
		return nil, err
	}
	return z.zone.LookupNetIP(ctx, network, host)
}

// LookupAddr returns the names an address maps to (its PTR records).
func (z *Zone) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	if reverse, err := dns.ReverseAddr(addr); err == nil {
		if err := z.fail(ctx, reverse, addr); err != nil {
			return nil, err
		}
	}
	return z.zone.LookupAddr(ctx, addr)
}

// ServeDNS answers a query from the zone as a recursive server would:
// SERVFAIL for ServFail and for CNAME loops, no reply at all for Timeout.
// UDP answers that do not fit the client's EDNS0 buffer size (512 bytes
// without EDNS0, RFC 1035 §4.2.1) are truncated with TC set, so that the
// client retries over TCP.
func (z *Zone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
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
		switch z.fault(q.Name) {
		case Timeout:
			return
		case ServFail:
			m.Rcode = dns.RcodeServerFailure
		default:
			a := z.data.Query(q.Name, q.Qtype)
			m.Rcode, m.Answer = a.Rcode, a.Records
			if a.SOA != nil {
				m.Ns = []dns.RR{a.SOA}
			}
		}
	}
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(size, int(opt.UDPSize()))
		m.SetEdns0(dnsdata.EDNSSize, false) // RFC 6891 §7: answer EDNS0 with EDNS0
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(size)
	}
	_ = w.WriteMsg(m) // the client's retry or timeout covers a failed write
}
