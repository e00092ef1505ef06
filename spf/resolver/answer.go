package resolver

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// lookupKind names one of the Resolver methods, or a LookupNetIP family.
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

// A lookupAnswer is the result of a lookupQuery in the formats of
// *net.Resolver, with how long it may be cached.
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

// addressQuery returns the query for a LookupNetIP network: "ip" for both
// families, "ip4" for A records, "ip6" for AAAA records.
func addressQuery(network, host string) (lookupQuery, error) {
	switch network {
	case "ip":
		return lookupQuery{queryIP, host}, nil
	case "ip4":
		return lookupQuery{queryIP4, host}, nil
	case "ip6":
		return lookupQuery{queryIP6, host}, nil
	}
	return lookupQuery{}, &net.DNSError{Err: "unknown network " + network, Name: host}
}

// lookupNetIP implements LookupNetIP on a ttlResolver. The addresses are
// copies: the answer's slices may be shared.
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
