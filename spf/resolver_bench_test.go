package spf_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// BenchmarkLookupTXT compares the resolvers on one TXT lookup of
// resolverTestZone, served on loopback for the network ones. The baseline
// is Go's own resolver asking the same loopback server.
func BenchmarkLookupTXT(b *testing.B) {
	z := newResolverTestZone(b)
	addr := serveLoopback(b, z)
	network := &spf.NetworkResolver{Servers: []string{addr}, Timeout: time.Second}
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
		{"NetworkResolver-loopback", network},
		{"ZoneResolver", z},
		{"Cache-hit", spf.NewCache(network, spf.CacheOptions{})},
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
	network := &spf.NetworkResolver{Servers: []string{serveLoopback(b, z)}, Timeout: time.Second}
	for _, bc := range []struct {
		name string
		r    spf.Resolver
	}{
		{"NetworkResolver-loopback", network},
		{"ZoneResolver", z},
		{"Cache-hit", spf.NewCache(network, spf.CacheOptions{})},
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
