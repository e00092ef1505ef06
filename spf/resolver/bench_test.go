package resolver_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// BenchmarkLookupTXT compares the resolvers on one TXT lookup of
// resolverTestZone, served on loopback for the network ones. The baseline
// is Go's own resolver asking the same loopback server.
func BenchmarkLookupTXT(b *testing.B) {
	z := newResolverTestZone(b)
	addr := spftest.Serve(b, servedResolverTestZone(b))
	network := &resolver.Network{Servers: []string{addr}, Timeout: time.Second}
	baseline := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	for _, bc := range []struct {
		name string
		r    spf.Resolver
	}{
		{"Baseline/net.Resolver-loopback", baseline},
		{"Network-loopback", network},
		{"Zone", z},
		{"Cache-hit", resolver.NewCache(network, resolver.CacheOptions{})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			txt, err := bc.r.LookupTXT(ctx, "example.com.")
			require.NoError(b, err)
			require.Equal(b, []string{"v=spf1 mx -all"}, txt)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.r.LookupTXT(ctx, "example.com."); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupIPAddr does the same for an A and AAAA lookup through a
// CNAME chain, the costliest lookup shape SPF makes.
func BenchmarkLookupIPAddr(b *testing.B) {
	z := newResolverTestZone(b)
	network := &resolver.Network{Servers: []string{spftest.Serve(b, servedResolverTestZone(b))}, Timeout: time.Second}
	for _, bc := range []struct {
		name string
		r    spf.Resolver
	}{
		{"Network-loopback", network},
		{"Zone", z},
		{"Cache-hit", resolver.NewCache(network, resolver.CacheOptions{})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.r.LookupIPAddr(ctx, "alias.example.com."); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
