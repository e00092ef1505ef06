package spf_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// A ZoneResolver answers from zone text, and can be told to fail for a
// name, to test how SPF evaluation copes with a broken DNS.
func ExampleZoneResolver() {
	const zone = `
$TTL 3600
@      TXT  "v=spf1 ip4:192.0.2.0/24 " "-all"
flaky  TXT  "v=spf1 -all"
`
	r, err := spf.NewZoneResolver(strings.NewReader(zone), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Inject("flaky.example.org", spf.FaultServFail)

	ctx := context.Background()
	txt, _ := r.LookupTXT(ctx, "example.org")
	fmt.Printf("%q\n", txt)
	_, err = r.LookupTXT(ctx, "flaky.example.org")
	fmt.Println("temporary:", err.(*net.DNSError).IsTemporary)
	_, err = r.LookupTXT(ctx, "missing.example.org")
	fmt.Println("not found:", err.(*net.DNSError).IsNotFound)
	// Output:
	// ["v=spf1 ip4:192.0.2.0/24 -all"]
	// temporary: true
	// not found: true
}

// A ZoneResolver can also be served over the network, here on loopback,
// for a NetworkResolver (or any DNS client) to ask.
func ExampleZoneResolver_ServeDNS() {
	z, err := spf.NewZoneResolver(strings.NewReader(`@ 300 MX 10 mx`), "example.org")
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

	r := &spf.NetworkResolver{Servers: []string{conn.LocalAddr().String()}, Timeout: time.Second}
	mx, err := r.LookupMX(context.Background(), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mx[0].Host, mx[0].Pref)
	// Output: mx.example.org. 10
}

// A Cache in front of a resolver keeps answers for their TTLs.
func ExampleNewCache() {
	z, err := spf.NewZoneResolver(strings.NewReader(`@ 300 TXT "v=spf1 mx -all"`), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := spf.NewCache(z, spf.CacheOptions{MaxEntries: 1000, NegativeTTL: time.Minute})
	txt, err := r.LookupTXT(context.Background(), "example.org")
	fmt.Println(txt, err)
	// Output: [v=spf1 mx -all] <nil>
}
