// Package dnsflag builds the DNS resolver that the example programs' -dns
// and -zone flags ask for, so that every program reads them alike.
package dnsflag

import (
	"flag"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/capped"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// MaxZoneSize bounds a zone file, which is read into memory whole.
const MaxZoneSize = 64 << 20

// Define defines -dns and -zone on fs, into dnsAddr and zoneFile, as the
// servers (spfmilter, bouncemilter, bouncegate) take them.
func Define(fs *flag.FlagSet, dnsAddr, zoneFile *string) {
	fs.StringVar(dnsAddr, "dns", "", "the DNS server to ask, HOST[:PORT] (default: those of /etc/resolv.conf)")
	fs.StringVar(zoneFile, "zone", "", "an RFC 1035 zone file to answer DNS queries from, for tests")
}

// NewCached is New with the answers of the DNS server or of the system's
// resolvers cached for their TTLs; a zone file's need no cache.
func NewCached(dnsAddr, zoneFile string) (spf.Resolver, error) {
	r, err := New(dnsAddr, zoneFile)
	if err != nil || zoneFile != "" {
		return r, err
	}
	return resolver.NewCache(r, resolver.CacheOptions{}), nil
}

// New returns the resolver the -dns and -zone flags ask for: a DNS server
// (port 53 when none is given), a zone file read with origin ".", or, with
// neither, the system's resolvers. Errors in the flags' values match
// cmdflag.ErrUsage with errors.Is, and name the flag; a failure to read
// the system's resolver configuration does not.
func New(dnsAddr, zoneFile string) (spf.Resolver, error) {
	switch {
	case dnsAddr != "" && zoneFile != "":
		return nil, cmdflag.Usagef("-dns and -zone cannot be used together")
	case dnsAddr != "":
		server := ServerAddr(dnsAddr)
		if err := checkServerAddr(server); err != nil {
			return nil, err
		}
		return &resolver.Network{Servers: []string{server}}, nil
	case zoneFile != "":
		f, err := os.Open(zoneFile)
		if err != nil {
			return nil, cmdflag.Usagef("-zone: %v", err)
		}
		defer f.Close()
		z, err := resolver.NewZone(capped.Reader(f, MaxZoneSize), ".")
		if err != nil {
			return nil, cmdflag.Usagef("-zone %s: %v", zoneFile, err)
		}
		return z, nil
	}
	return resolver.System()
}

// ServerAddr adds port 53 to a -dns address that has none: "192.0.2.1",
// "::1", "[::1]", "ns.example" and "ns.example:" become host:53.
func ServerAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		host = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	case port != "":
		return addr
	}
	return net.JoinHostPort(host, "53")
}

// checkServerAddr checks a host:port from ServerAddr: the host must be an
// IP address or a host name, the port a number from 1 to 65535.
func checkServerAddr(server string) error {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return cmdflag.Usagef("-dns %q: %v", server, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return cmdflag.Usagef("-dns %q: port %q is not a number from 1 to 65535", server, port)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if _, ok := dns.IsDomainName(host); !ok || host == "" || strings.ContainsAny(host, " /:[]") {
		return cmdflag.Usagef("-dns %q: %q is neither an IP address nor a host name", server, host)
	}
	return nil
}
