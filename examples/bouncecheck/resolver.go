package main

import (
	"net"
	"os"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// newResolver returns the resolver the -dns and -zone flags ask for: a DNS
// server (port 53 when none is given), a zone file read with origin ".",
// or, with neither, the system's resolvers.
func newResolver(dnsAddr, zoneFile string) (spf.Resolver, error) {
	switch {
	case dnsAddr != "" && zoneFile != "":
		return nil, usageErrorf("-dns and -zone cannot be used together")
	case dnsAddr != "":
		return &spf.NetworkResolver{Servers: []string{serverAddr(dnsAddr)}}, nil
	case zoneFile != "":
		f, err := os.Open(zoneFile)
		if err != nil {
			return nil, usageErrorf("-zone: %v", err)
		}
		defer f.Close()
		z, err := spf.NewZoneResolver(f, ".")
		if err != nil {
			return nil, usageErrorf("-zone %s: %v", zoneFile, err)
		}
		return z, nil
	}
	return spf.SystemResolver()
}

// serverAddr adds port 53 to a -dns address that has none: "192.0.2.1",
// "::1", "[::1]", "ns.example" and "ns.example:" become host:53.
func serverAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		host = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	case port != "":
		return addr
	}
	return net.JoinHostPort(host, "53")
}
