package resolver_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// resolverTestZone is the zone most resolver tests answer from.
const resolverTestZone = `
$TTL 300
@            SOA   ns hostmaster 1 7200 900 1209600 60
@            TXT   "v=spf1 " "mx -all"
@            MX    20 mx2
@            MX    10 mx1
@            A     192.0.2.1
@            AAAA  2001:db8::1
mx1          A     192.0.2.10
mx2          AAAA  2001:db8::10
deep.ent     A     192.0.2.20
*.wild       A     192.0.2.30
*.wild       TXT   "wildcard"
here.wild    MX    10 mx1
alias        CNAME next
next         CNAME example.com.
dangling     CNAME nowhere
tomx1        CNAME mx1
loop1        CNAME loop2
loop2        CNAME loop1
esc          TXT   "semi\059colon \"quoted\" back\\slash"
v6only       AAAA  2001:db8::2
a%20b\032c\"d  TXT   "odd name"
1.2.0.192.in-addr.arpa.  PTR  example.com.
1.2.0.192.in-addr.arpa.  PTR  mx1.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR example.com.
`

func newResolverTestZone(t testing.TB) *resolver.Zone {
	t.Helper()
	z, err := resolver.NewZone(strings.NewReader(resolverTestZone), "example.com")
	require.NoError(t, err)
	return z
}

// servedResolverTestZone returns resolverTestZone as spftest serves it,
// for faults to be injected before it is served.
func servedResolverTestZone(t testing.TB) *spftest.Zone {
	t.Helper()
	z, err := spftest.NewZone(strings.NewReader(resolverTestZone), "example.com")
	require.NoError(t, err)
	return z
}

// requireDNSError asserts that err is a bare *net.DNSError naming name.
func requireDNSError(t *testing.T, err error, name string) *net.DNSError {
	t.Helper()
	require.Error(t, err)
	derr, ok := err.(*net.DNSError)
	require.Truef(t, ok, "error %T %v is not a bare *net.DNSError", err, err)
	assert.Equal(t, name, derr.Name)
	return derr
}

// lookupOutcome classifies a lookup error as the tests expect it.
func lookupOutcome(t *testing.T, err error, name string) string {
	t.Helper()
	if err == nil {
		return "ok"
	}
	derr := requireDNSError(t, err, name)
	switch {
	case derr.IsNotFound && !derr.IsTemporary && !derr.IsTimeout:
		return "notfound"
	case derr.IsTimeout && derr.IsTemporary:
		return "timeout"
	case derr.IsTemporary && !derr.IsNotFound:
		return "temporary"
	}
	t.Fatalf("inconsistent error flags: %+v", derr)
	return ""
}

// resolverCases are the answers every resolver must give for resolverTestZone,
// whether it reads the zone or asks a server serving it.
var resolverCases = []struct {
	rfc, name string
	txt       []string
	ips       []string
	txtOut    string
	ipOut     string
}{
	{"RFC 7208 §3.3 strings joined", "example.com", []string{"v=spf1 mx -all"}, []string{"192.0.2.1", "2001:db8::1"}, "ok", "ok"},
	{"RFC 4343 case-insensitive", "EXAMPLE.Com.", []string{"v=spf1 mx -all"}, []string{"192.0.2.1", "2001:db8::1"}, "ok", "ok"},
	{"RFC 1035 §5.1 escapes undone", "esc.example.com", []string{`semi;colon "quoted" back\slash`}, nil, "ok", "notfound"},
	{"RFC 2308 §2.1 NXDOMAIN", "missing.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 2308 §2.2 no data", "mx1.example.com", nil, []string{"192.0.2.10"}, "notfound", "ok"},
	{"RFC 4592 §2.2.2 empty non-terminal", "ent.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 1034 §3.6.2 CNAME chain", "alias.example.com", []string{"v=spf1 mx -all"}, []string{"192.0.2.1", "2001:db8::1"}, "ok", "ok"},
	{"RFC 1034 §3.6.2 dangling CNAME", "dangling.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 2308 §2.2 CNAME, then no data", "tomx1.example.com", nil, []string{"192.0.2.10"}, "notfound", "ok"},
	{"RFC 1034 §3.6.2 CNAME loop", "loop1.example.com", nil, nil, "temporary", "temporary"},
	{"RFC 4592 §3.3 wildcard", "any.wild.example.com", []string{"wildcard"}, []string{"192.0.2.30"}, "ok", "ok"},
	{"RFC 4592 §3.3 wildcard, deeper", "a.b.wild.example.com", []string{"wildcard"}, []string{"192.0.2.30"}, "ok", "ok"},
	{"RFC 4592 §2.2 existing name blocks wildcard", "here.wild.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 4592 §2.2 wildcard's parent", "wild.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 4592 §3.3 only the closest encloser's wildcard", "x.deep.ent.example.com", nil, nil, "notfound", "notfound"},
	{"RFC 1035 §5.1 special octets in a name, as they are", `a%20b c"d.example.com`, []string{"odd name"}, nil, "ok", "notfound"},
	{"RFC 1035 §5.1 special octets in a name, escaped", `A%20b\ c\034d.example.com.`, []string{"odd name"}, nil, "ok", "notfound"},
	{"RFC 1035 §2.3.4 label too long", strings.Repeat("x", 64) + ".example.com", nil, nil, "notfound", "notfound"},
	{"RFC 1035 §2.3.4 name too long", strings.Repeat("x.", 130) + "example.com", nil, nil, "notfound", "notfound"},
	{"IPv6 only", "v6only.example.com", nil, []string{"2001:db8::2"}, "notfound", "ok"},
}

// checkResolverCases runs resolverCases against r.
func checkResolverCases(t *testing.T, r spf.Resolver) {
	ctx := context.Background()
	for _, tc := range resolverCases {
		t.Run(tc.rfc, func(t *testing.T) {
			txt, err := r.LookupTXT(ctx, tc.name)
			assert.Equal(t, tc.txtOut, lookupOutcome(t, err, tc.name), "TXT")
			assert.Equal(t, tc.txt, txt, "TXT")
			ips, err := r.LookupIPAddr(ctx, tc.name)
			assert.Equal(t, tc.ipOut, lookupOutcome(t, err, tc.name), "IP")
			var got []string
			for _, ip := range ips {
				got = append(got, ip.IP.String())
			}
			assert.Equal(t, tc.ips, got, "IP")
		})
	}
	t.Run("RFC 5321 §5.1 MX by preference", func(t *testing.T) {
		mx, err := r.LookupMX(ctx, "example.com")
		require.NoError(t, err)
		assert.Equal(t, []*net.MX{{Host: "mx1.example.com.", Pref: 10}, {Host: "mx2.example.com.", Pref: 20}}, mx)
		_, err = r.LookupMX(ctx, "mx1.example.com")
		assert.Equal(t, "notfound", lookupOutcome(t, err, "mx1.example.com"))
	})
	t.Run("RFC 1035 §3.5 PTR", func(t *testing.T) {
		names, err := r.LookupAddr(ctx, "192.0.2.1")
		require.NoError(t, err)
		assert.Equal(t, []string{"example.com.", "mx1.example.com."}, names)
		names, err = r.LookupAddr(ctx, "2001:db8::1")
		require.NoError(t, err)
		assert.Equal(t, []string{"example.com."}, names)
		_, err = r.LookupAddr(ctx, "192.0.2.99")
		assert.Equal(t, "notfound", lookupOutcome(t, err, "192.0.2.99"))
		_, err = r.LookupAddr(ctx, "not an address")
		requireDNSError(t, err, "not an address")
	})
}

func TestZone(t *testing.T) {
	checkResolverCases(t, newResolverTestZone(t))
}

func TestZoneDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newResolverTestZone(t).LookupTXT(ctx, "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"))
}

func TestNewZoneErrors(t *testing.T) {
	for _, text := range []string{
		"example.com. IN A 999.0.0.1",
		"example.com. IN TXT \"unterminated",
		"relative A 192.0.2.1", // no origin
		"$INCLUDE /etc/passwd",
	} {
		_, err := resolver.NewZone(strings.NewReader(text), "")
		assert.Error(t, err, text)
	}
}
