package resolver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf/internal/dnsdata"
)

// A Zone answers from RFC 1035 zone text as a recursive server would: it
// follows CNAME chains, synthesizes answers from wildcards, and tells
// NXDOMAIN from "no data", with an SOA for the negative TTL (a stand-in
// where the zone text has none, RFC 2308 §3). Names may hold any octet, as
// such or in RFC 1035 escapes (\032). It is safe for concurrent use.
type Zone struct {
	data *dnsdata.Zone
}

// NewZone reads RFC 1035 zone text; relative names are relative to origin.
// Records with no TTL and no $TTL before them get one hour, so that test
// zones can leave TTLs out. $INCLUDE is not allowed.
func NewZone(text io.Reader, origin string) (*Zone, error) {
	data, err := dnsdata.Parse(text, origin)
	if err != nil {
		return nil, fmt.Errorf("resolver: zone: %w", err)
	}
	return &Zone{data}, nil
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := z.lookup(ctx, lookupQuery{queryTXT, name})
	return a.txt, err
}

// LookupMX returns the MX records of name, sorted by preference.
func (z *Zone) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := z.lookup(ctx, lookupQuery{queryMX, name})
	return a.mx, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (z *Zone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	a, err := z.lookup(ctx, lookupQuery{queryIP, host})
	return a.ips, err
}

// LookupNetIP returns the addresses of host: network "ip4" asks for its A
// records only, "ip6" for its AAAA records only, "ip" for both.
func (z *Zone) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return lookupNetIP(ctx, z, network, host)
}

// LookupAddr returns the names an address maps to (its PTR records).
func (z *Zone) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := z.lookup(ctx, lookupQuery{queryPTR, addr})
	return a.names, err
}

// lookup implements ttlResolver.
func (z *Zone) lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	return lookupWith(ctx, q, z.resolve, false)
}

// resolve is the zone's resolveFunc.
func (z *Zone) resolve(ctx context.Context, name string, qtype uint16) (rrset, error) {
	if ctx.Err() != nil {
		return rrset{}, dnsdata.ContextError(ctx, name)
	}
	a := z.data.Query(name, qtype)
	if a.Rcode == dns.RcodeServerFailure {
		return rrset{}, dnsdata.Temporary(name, "server misbehaving")
	}
	set, _ := rrsetOf(name, a.Records, qtype, a.SOA) // Query stopped any loop
	if len(set.rrs) == 0 {
		return set, dnsdata.NotFound(name)
	}
	return set, nil
}
