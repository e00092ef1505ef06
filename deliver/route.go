package deliver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// Limits on what one domain's DNS can make a send try, so that hostile
// records cannot turn one send into thousands of connections.
const (
	maxMXHosts   = 10 // MX hosts tried, in preference order
	maxHostAddrs = 4  // addresses tried of each host
)

// A host is a server to try: its name, for errors, and the addresses to
// dial, found when the host's turn comes.
type host struct {
	name  string
	addrs func(ctx context.Context) ([]string, *Error) // "ip:port" to dial
}

// route returns the hosts to try, in order, for recipients at domain,
// or the *Error that settles them all.
func (c *Client) route(ctx context.Context, r spf.Resolver, domain string, rcpts []string) ([]host, *Error) {
	// RFC 5321 §5.1: an address literal names the host itself.
	if strings.HasPrefix(domain, "[") {
		ip, err := literalIP(domain)
		if err != nil {
			return nil, &Error{Recipients: rcpts, EnhancedCode: "5.1.2", Text: err.Error()}
		}
		if why := unroutable(ip); why != "" {
			return nil, unroutableError(rcpts, "", "address literal "+domain+why)
		}
		return []host{c.fixed(domain, ip.Unmap().String())}, nil
	}
	// RFC 6531 §3.2, RFC 5890 §2.3.2.1: DNS is asked for A-labels.
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return nil, &Error{Recipients: rcpts, EnhancedCode: "5.1.2", Text: "domain " + domain + " not valid IDNA", Err: err}
	}
	mxs, err := r.LookupMX(ctx, ascii)
	switch {
	case isNotFound(err):
		// RFC 5321 §5.1: no MX records, the domain itself is the
		// host (implicit MX), when it has an address.
		return []host{c.resolved(r, domain, ascii)}, nil
	case err != nil:
		return nil, dnsError(ctx, rcpts, "MX lookup for "+domain, err)
	}
	// RFC 7505 §3: a single MX record with the root as its host says the
	// domain accepts no mail; clients must not try, and report 5.1.10.
	if len(mxs) == 1 && mxs[0].Host == "." {
		return nil, &Error{Recipients: rcpts, EnhancedCode: "5.1.10", Text: "domain " + domain + " accepts no mail (null MX, RFC 7505)"}
	}
	return c.mxHosts(r, mxs), nil
}

// mxHosts orders MX records for trying (RFC 5321 §5.1): by preference,
// lowest first, equal preferences in random order, each host once, and
// never the root, which only a null MX names.
func (c *Client) mxHosts(r spf.Resolver, mxs []*net.MX) []host {
	mxs = slices.Clone(mxs)
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	var hosts []host
	seen := map[string]bool{}
	for _, mx := range mxs {
		name := strings.ToLower(strings.TrimSuffix(mx.Host, "."))
		if name == "" || seen[name] || len(hosts) == maxMXHosts {
			continue
		}
		seen[name] = true
		hosts = append(hosts, c.resolved(r, name, name))
	}
	return hosts
}

// resolved is a host whose addresses the resolver finds.
func (c *Client) resolved(r spf.Resolver, name, ascii string) host {
	return host{name: name, addrs: func(ctx context.Context) ([]string, *Error) {
		ips, err := r.LookupIPAddr(ctx, ascii)
		if err == nil && len(ips) == 0 {
			err = &net.DNSError{Err: "no addresses", Name: ascii, IsNotFound: true}
		}
		if err != nil {
			e := dnsError(ctx, nil, "address lookup for "+name, err)
			e.Host = name
			return nil, e
		}
		var out []string
		var refused string
		for _, a := range ips {
			ip, _ := netip.AddrFromSlice(a.IP)
			if why := unroutable(ip); why != "" {
				refused = "address " + ip.Unmap().String() + " of " + name + why
				continue
			}
			if len(out) < maxHostAddrs {
				out = append(out, net.JoinHostPort(ip.Unmap().String(), c.port()))
			}
		}
		if len(out) == 0 {
			return nil, unroutableError(nil, name, refused)
		}
		return out, nil
	}}
}

// fixed is a host at one known address: a literal, or the next hop.
func (c *Client) fixed(name, ip string) host {
	addr := net.JoinHostPort(ip, c.port())
	return host{name: name, addrs: func(context.Context) ([]string, *Error) { return []string{addr}, nil }}
}

// unroutable says why a recipient's host may not be at ip, or "" when it
// may. The return path a DSN goes to is the sender's to choose, and so
// its domain's MX records and address literals: none may send the DSN to
// this host, where a listener may trust local mail, nor to an address
// that is no host's (RFC 6890's special-purpose registry, RFC 1122
// §3.2.1.3). Refused: unspecified and "this network" (0.0.0.0/8, ::,
// which reach this host when dialled), loopback, link-local (a cloud's
// metadata server at 169.254.169.254), multicast and broadcast. Private
// addresses (RFC 1918, RFC 4193) are allowed: internal MX hosts have
// them, and a deployment that wants them refused says so in its Dial.
// The next hop, the Client's own setting, is not checked.
func unroutable(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return " is not an IP address"
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		return ` is "this host" (RFC 6890 §2.2.2), not a host to send to`
	case ip.IsLoopback():
		return " is loopback: mail for it would loop back to this host"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return " is link-local (RFC 3927, RFC 4291 §2.5.6), not a host to send to"
	case ip.IsMulticast(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return " is multicast or broadcast, not a host to send to"
	}
	return ""
}

// unroutableError settles recipients whose host has no address mail may
// go to: permanent, 5.4.4, unable to route (RFC 3463 §3.5).
func unroutableError(rcpts []string, host, text string) *Error {
	return &Error{Recipients: rcpts, Host: host, EnhancedCode: "5.4.4", Text: text + " (refused: see deliver.Client)"}
}

// literalIP parses an address literal, "[192.0.2.1]" or
// "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3).
func literalIP(domain string) (netip.Addr, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(domain, "["), "]")
	if len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:") {
		inner = inner[5:]
	}
	ip, err := netip.ParseAddr(inner)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, errors.New("address literal " + domain + " not [IPv4] or [IPv6:address] (RFC 5321 §4.1.3)")
	}
	return ip, nil
}

// isNotFound reports a DNS answer that the name or record does not exist
// (NXDOMAIN or no data), as the spf.Resolver contract marks it.
func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// dnsError classes a failed lookup: not found is permanent (RFC 5321 §5.1:
// no host to deliver to; 5.1.2, RFC 3463 §3.2), anything else temporary
// (SERVFAIL, timeouts: RFC 5321 §4.2.1's transient failures; 4.4.3).
func dnsError(ctx context.Context, rcpts []string, what string, err error) *Error {
	if ctx.Err() != nil {
		return ctxError(ctx, rcpts, what+" not finished")
	}
	if isNotFound(err) {
		return &Error{Recipients: rcpts, EnhancedCode: "5.1.2", Text: what + " found nothing", Err: err}
	}
	return &Error{Recipients: rcpts, Temporary: true, EnhancedCode: "4.4.3", Text: what + " failed", Err: err}
}
