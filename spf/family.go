package spf

import (
	"context"
	"net"
	"net/netip"
)

// lookupFamily returns the addresses of host in one family: A records for
// an IPv4 client, AAAA records for an IPv6 one (RFC 7208 §5.3, §5.4,
// §5.5), so that a failing or void lookup of the other family cannot
// change the result. An IPv4-mapped IPv6 address is never an IPv4 address,
// except from a resolver with only LookupIPAddr, which cannot tell them
// apart.
func lookupFamily(ctx context.Context, r Resolver, ip4 bool, host string) ([]net.IPAddr, error) {
	q := lookupQuery{queryIP6, host}
	if ip4 {
		q.kind = queryIP4
	}
	switch r := r.(type) {
	case ttlResolver:
		a, err := r.lookup(ctx, q)
		return a.ips, err
	case netIPResolver:
		addrs, err := r.LookupNetIP(ctx, networkOf(q.kind), host)
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
		return errNotFound(host)
	}
	return err
}

// networkOf names the LookupNetIP network of an address query.
func networkOf(kind lookupKind) string {
	switch kind {
	case queryIP4:
		return "ip4"
	case queryIP6:
		return "ip6"
	}
	return "ip"
}

// addressQuery returns the query for a LookupNetIP network: "ip" for both
// families, "ip4" for A records, "ip6" for AAAA records.
func addressQuery(network, host string) (lookupQuery, error) {
	for _, kind := range []lookupKind{queryIP, queryIP4, queryIP6} {
		if networkOf(kind) == network {
			return lookupQuery{kind, host}, nil
		}
	}
	return lookupQuery{}, &net.DNSError{Err: "unknown network " + network, Name: host}
}

// lookupNetIP implements LookupNetIP on a ttlResolver.
func lookupNetIP(ctx context.Context, r ttlResolver, network, host string) ([]netip.Addr, error) {
	q, err := addressQuery(network, host)
	if err != nil {
		return nil, err
	}
	a, err := r.lookup(ctx, q)
	addrs := make([]netip.Addr, 0, len(a.ips))
	for _, ip := range a.ips {
		if addr, ok := netip.AddrFromSlice(ip.IP); ok {
			addrs = append(addrs, addr)
		}
	}
	return addrs, err
}
