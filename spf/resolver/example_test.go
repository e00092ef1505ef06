package resolver_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// A Zone answers from zone text, as a recursive server serving it would.
func ExampleNewZone() {
	const zone = `
$TTL 3600
@      TXT  "v=spf1 ip4:192.0.2.0/24 " "-all"
`
	r, err := resolver.NewZone(strings.NewReader(zone), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	txt, _ := r.LookupTXT(ctx, "example.org")
	fmt.Printf("%q\n", txt)
	_, err = r.LookupTXT(ctx, "missing.example.org")
	fmt.Println("not found:", err.(*net.DNSError).IsNotFound)
	// Output:
	// ["v=spf1 ip4:192.0.2.0/24 -all"]
	// not found: true
}

// A Cache in front of a resolver keeps answers for their TTLs.
func ExampleNewCache() {
	z, err := resolver.NewZone(strings.NewReader(`@ 300 TXT "v=spf1 mx -all"`), "example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := resolver.NewCache(z, resolver.CacheOptions{MaxEntries: 1000, NegativeTTL: time.Minute})
	txt, err := r.LookupTXT(context.Background(), "example.org")
	fmt.Println(txt, err)
	// Output: [v=spf1 mx -all] <nil>
}
