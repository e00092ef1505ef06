package spf_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// familyZone has names whose addresses are of one family only.
const familyZone = `
$TTL 300
@       SOA ns hostmaster 1 7200 900 1209600 60
void3   TXT "v=spf1 a:v6a.example.com a:v6b.example.com a:v6c.example.com -all"
v6a     AAAA 2001:db8::1
v6b     AAAA 2001:db8::2
v6c     AAAA 2001:db8::3
mapped  TXT "v=spf1 a:m.example.com -all"
m       AAAA ::ffff:192.0.2.9
both    TXT "v=spf1 a:b.example.com -all"
b       A 192.0.2.9
b       AAAA 2001:db8::9
exists6 TXT "v=spf1 exists:b.example.com -all"
`

// familyResolvers returns the zone behind each kind of Resolver the
// evaluation may be given: one of ours, a Cache, one with LookupNetIP
// only (as *net.Resolver), and one with LookupIPAddr only.
func familyResolvers(t *testing.T) map[string]spf.Resolver {
	z, err := resolver.NewZone(strings.NewReader(familyZone), "example.com")
	require.NoError(t, err)
	return map[string]spf.Resolver{
		"zone":         z,
		"cache":        resolver.NewCache(z, resolver.CacheOptions{}),
		"LookupNetIP":  netIPOnly{ipAddrOnly{z}},
		"LookupIPAddr": ipAddrOnly{z},
		"cache-IPAddr": resolver.NewCache(ipAddrOnly{z}, resolver.CacheOptions{}),
		"cache-NetIP":  resolver.NewCache(netIPOnly{ipAddrOnly{z}}, resolver.CacheOptions{}),
	}
}

// ipAddrOnly hides every method of a Zone but the Resolver ones.
type ipAddrOnly struct{ z *resolver.Zone }

func (r ipAddrOnly) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return r.z.LookupTXT(ctx, name)
}
func (r ipAddrOnly) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return r.z.LookupMX(ctx, name)
}
func (r ipAddrOnly) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return r.z.LookupIPAddr(ctx, host)
}
func (r ipAddrOnly) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return r.z.LookupAddr(ctx, addr)
}

// netIPOnly adds LookupNetIP, answering with IPv4 addresses in their
// 16-byte form as *net.Resolver may.
type netIPOnly struct{ ipAddrOnly }

func (r netIPOnly) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	addrs, err := r.z.LookupNetIP(ctx, network, host)
	for i, a := range addrs {
		addrs[i] = netip.AddrFrom16(a.As16())
	}
	return addrs, err
}

// RFC 7208 §5.3: "a" looks up A records for an IPv4 client and AAAA
// records for an IPv6 one, never the other family.
func TestCheckLooksUpClientsFamilyOnly(t *testing.T) {
	tests := []struct {
		name, ip, sender string
		want             spf.Result
	}{
		// RFC 7208 §4.6.4: three void A lookups exceed the limit of two.
		{"AAAA-only names are void for IPv4", "192.0.2.9", "a@void3.example.com", spf.PermError},
		{"IPv4-mapped AAAA never matches IPv4", "192.0.2.9", "a@mapped.example.com", spf.Fail},
		{"A matches IPv4", "192.0.2.9", "a@both.example.com", spf.Pass},
		{"AAAA matches IPv6", "2001:db8::9", "a@both.example.com", spf.Pass},
		{"A does not match IPv6", "::ffff:c000:209", "a@both.example.com", spf.Pass}, // mapped client is IPv4
		{"mapped AAAA does not match IPv6", "2001:db8::1", "a@mapped.example.com", spf.Fail},
		// RFC 7208 §5.7: exists looks up A records whatever the client.
		{"exists asks A for IPv6", "2001:db8::1", "a@exists6.example.com", spf.Pass},
	}
	for name, r := range familyResolvers(t) {
		c := &spf.Checker{Resolver: r}
		v := c.Check(context.Background(), netip.MustParseAddr("2001:db8::1"), "h.example.com", "a@exists6.example.com")
		assert.Equal(t, "exists:b.example.com", v.Mechanism, name)
		for _, tt := range tests {
			if strings.HasSuffix(name, "IPAddr") && strings.HasPrefix(tt.sender, "a@mapped") {
				continue // LookupIPAddr cannot tell mapped AAAA from A
			}
			v := c.Check(context.Background(), netip.MustParseAddr(tt.ip), "h.example.com", tt.sender)
			assert.Equal(t, tt.want, v.Result, "%s: %s", name, tt.name)
		}
	}
}

// RFC 7208 §5.3: a failing AAAA lookup says nothing about an IPv4 client.
func TestCheckIgnoresOtherFamilysFailure(t *testing.T) {
	var aaaa atomic.Int64
	addr := spftest.Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		switch q := req.Question[0]; q.Qtype {
		case dns.TypeTXT:
			reply(t, w, req, dns.RcodeSuccess, q.Name+` 60 IN TXT "v=spf1 a -all"`)
		case dns.TypeA:
			reply(t, w, req, dns.RcodeSuccess, q.Name+` 60 IN A 192.0.2.9`)
		case dns.TypeAAAA:
			aaaa.Add(1)
			reply(t, w, req, dns.RcodeServerFailure)
		}
	}))
	c := &spf.Checker{Resolver: &resolver.Network{Servers: []string{addr}, Timeout: time.Second}}
	v := c.Check(context.Background(), netip.MustParseAddr("192.0.2.9"), "h.example.com", "a@x.example.com")
	assert.Equal(t, spf.Pass, v.Result)
	assert.Zero(t, aaaa.Load(), "AAAA queries for an IPv4 client")
}

func TestLookupNetIP(t *testing.T) {
	for name, r := range familyResolvers(t) {
		lr, ok := r.(interface {
			LookupNetIP(context.Context, string, string) ([]netip.Addr, error)
		})
		if !ok {
			continue
		}
		ctx := context.Background()
		got, err := lr.LookupNetIP(ctx, "ip6", "b.example.com")
		require.NoError(t, err, name)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("2001:db8::9")}, got, name)
		got, err = lr.LookupNetIP(ctx, "ip4", "b.example.com")
		require.NoError(t, err, name)
		require.Len(t, got, 1, name)
		assert.Equal(t, netip.MustParseAddr("192.0.2.9"), got[0].Unmap(), name)
		got, err = lr.LookupNetIP(ctx, "ip", "b.example.com")
		require.NoError(t, err, name)
		assert.Len(t, got, 2, name)
		_, err = lr.LookupNetIP(ctx, "ip4", "v6a.example.com")
		derr, ok := err.(*net.DNSError)
		require.Truef(t, ok, "%s: error %T %v is not a bare *net.DNSError", name, err, err)
		assert.True(t, derr.IsNotFound, name)
		assert.Equal(t, "v6a.example.com", derr.Name, name)
		_, err = lr.LookupNetIP(ctx, "tcp", "b.example.com")
		assert.Error(t, err, name)
	}
}
