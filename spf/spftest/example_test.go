package spftest_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// A Zone can be told to fail for a name, to test how SPF evaluation copes
// with a broken DNS.
func ExampleZone_Inject() {
	z, err := spftest.NewZone(strings.NewReader(`flaky 3600 TXT "v=spf1 -all"`), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	z.Inject("flaky.example.org", spftest.ServFail)

	ctx := context.Background()
	_, err = z.LookupTXT(ctx, "flaky.example.org")
	fmt.Println("temporary:", err.(*net.DNSError).IsTemporary)
	c := &spf.Checker{Resolver: z}
	v := c.Check(ctx, netip.MustParseAddr("192.0.2.10"), "mail.example.org", "alice@flaky.example.org")
	fmt.Println(v.Result)
	// Output:
	// temporary: true
	// temperror
}

// A Zone is a dns.Handler: a dns.Server serves it, here on loopback, for a
// resolver.Network (or any DNS client) to ask. In a test, Serve does this.
func ExampleZone_ServeDNS() {
	z, err := spftest.NewZone(strings.NewReader(`@ 300 MX 10 mx`), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	server := &dns.Server{PacketConn: conn, Handler: z}
	go func() { _ = server.ActivateAndServe() }()
	defer func() { _ = server.Shutdown() }()

	r := &resolver.Network{Servers: []string{conn.LocalAddr().String()}, Timeout: time.Second}
	mx, err := r.LookupMX(context.Background(), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mx[0].Host, mx[0].Pref)
	// Output: mx.example.org. 10
}
