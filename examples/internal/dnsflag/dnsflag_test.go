package dnsflag

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

func TestServerAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":      "192.0.2.1:53",
		"192.0.2.1:5353": "192.0.2.1:5353",
		"::1":            "[::1]:53",
		"[::1]":          "[::1]:53",
		"[::1]:5353":     "[::1]:5353",
		"ns.example":     "ns.example:53",
		"ns.example:":    "ns.example:53",
		"[::1]:":         "[::1]:53",
	} {
		assert.Equal(t, want, ServerAddr(in), in)
	}
}

func TestNewServer(t *testing.T) {
	r, err := New("192.0.2.1:5353", "")
	require.NoError(t, err)
	assert.Equal(t, &resolver.Network{Servers: []string{"192.0.2.1:5353"}}, r)
}

func TestNewZone(t *testing.T) {
	zone := filepath.Join(t.TempDir(), "z")
	require.NoError(t, os.WriteFile(zone, []byte(`example.org. TXT "v=spf1 -all"`+"\n"), 0o600))
	r, err := New("", zone)
	require.NoError(t, err)
	txt, err := r.LookupTXT(context.Background(), "example.org")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, txt)
}

// TestDefineAndNewCached: the servers' -dns and -zone; a server's answers
// are cached, a zone file's are not, and bad values are New's errors.
func TestDefineAndNewCached(t *testing.T) {
	var dnsAddr, zoneFile string
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	Define(fs, &dnsAddr, &zoneFile)
	require.NoError(t, fs.Parse([]string{"-dns", "192.0.2.1", "-zone", "z"}))
	assert.Equal(t, "192.0.2.1", dnsAddr)
	assert.Equal(t, "z", zoneFile)

	r, err := NewCached("192.0.2.1:5353", "")
	require.NoError(t, err)
	assert.IsType(t, &resolver.Cache{}, r)
	zone := filepath.Join(t.TempDir(), "z")
	require.NoError(t, os.WriteFile(zone, []byte(`example.org. TXT "v=spf1 -all"`+"\n"), 0o600))
	r, err = NewCached("", zone)
	require.NoError(t, err)
	assert.IsType(t, &resolver.Zone{}, r)
	_, err = NewCached("127.0.0.1", zone)
	assert.ErrorIs(t, err, cmdflag.ErrUsage)
}

// TestNewBadFlags: each bad value is a usage error naming its flag, and
// says nothing of this package. (The 64 MiB bound is shown by
// bouncecheck's "endless zone" test.)
func TestNewBadFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.zone")
	require.NoError(t, os.WriteFile(bad, []byte("example.org. IN NOSUCHTYPE x\n"), 0o600))
	tests := []struct{ dns, zone, want string }{
		{"127.0.0.1", bad, "-dns and -zone cannot be used together"},
		{"127.0.0.1:notaport", "", `-dns "127.0.0.1:notaport": port "notaport" is not a number from 1 to 65535`},
		{"127.0.0.1:70000", "", `port "70000"`},
		{"127.0.0.1:0", "", `port "0"`},
		{"ns example", "", `"ns example" is neither an IP address nor a host name`},
		{"", filepath.Join(dir, "absent.zone"), "-zone: open "},
		{"", bad, "-zone " + bad + ": "},
	}
	for _, tt := range tests {
		_, err := New(tt.dns, tt.zone)
		require.Error(t, err, "%+v", tt)
		assert.True(t, errors.Is(err, cmdflag.ErrUsage), "%+v: %v", tt, err)
		assert.True(t, strings.HasPrefix(err.Error(), "-"), "%v", err)
		assert.Contains(t, err.Error(), tt.want)
	}
}
