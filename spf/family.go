package spf

import (
	"context"
	"net"
)

// LookupFamily returns the addresses of host in one family, as an SPF
// evaluation asks for them: its A records when ip4 is set, else its AAAA
// records (RFC 7208 §5.3, §5.4, §5.5), so that a failing or void lookup of
// the other family cannot change the result. A Resolver with LookupNetIP is
// asked for that family only; any other is asked for both and its answer
// filtered, an answer left empty being "not found". An IPv4-mapped IPv6
// address is never an IPv4 address, except from a Resolver with only
// LookupIPAddr, which cannot tell them apart. Resolvers that wrap others
// pass such lookups on with it.
func LookupFamily(ctx context.Context, r Resolver, ip4 bool, host string) ([]net.IPAddr, error) {
	if r, ok := r.(netIPResolver); ok {
		network := "ip6"
		if ip4 {
			network = "ip4"
		}
		addrs, err := r.LookupNetIP(ctx, network, host)
		var ips []net.IPAddr
		for _, a := range addrs {
			// An "ip4" lookup may give its A records as mapped addresses.
			if ip4 && a.Unmap().Is4() || !ip4 && a.Is6() && !a.Is4In6() {
				ips = append(ips, net.IPAddr{IP: a.Unmap().AsSlice()})
			}
		}
		return ips, noneFound(ips, err, host)
	}
	all, err := r.LookupIPAddr(ctx, host)
	var ips []net.IPAddr
	for _, a := range all {
		if (a.IP.To4() != nil) == ip4 {
			ips = append(ips, a)
		}
	}
	return ips, noneFound(ips, err, host)
}

// noneFound turns an answer left empty by filtering into "not found".
func noneFound(ips []net.IPAddr, err error, host string) error {
	if err == nil && len(ips) == 0 {
		return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return err
}
