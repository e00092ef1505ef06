package spf

import (
	"context"
	"net"
	"net/netip"
)

// Resolver answers the DNS queries an SPF evaluation needs. It has the
// method set of blitiri.com.ar/go/spf's DNSResolver and of *net.Resolver, so
// either can be used where the other is expected; package spf/resolver has
// resolvers built for it, and spf/spftest a zone that fails on demand.
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
// error), as *net.Resolver and the resolvers of spf/resolver do, is asked
// for the addresses of the client's family only ("ip4" or "ip6"); any other
// is asked for both and its answer filtered (RFC 7208 §5.3).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) (names []string, err error)
}

// netIPResolver is the LookupNetIP a Resolver may have (see Resolver).
type netIPResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}
