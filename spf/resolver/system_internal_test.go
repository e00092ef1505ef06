package resolver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resolv.conf(5): nameservers with the default port, timeout: and
// attempts: (capped at 30 and 5), and the local server when no nameserver
// is listed or the file does not exist.
func TestSystemReadsResolvConf(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, conf string
		want       Network
	}{
		{"nameservers and options", "nameserver 192.0.2.53\nnameserver 2001:db8::53\noptions timeout:3 attempts:4\n",
			Network{Servers: []string{"192.0.2.53:53", "[2001:db8::53]:53"}, Timeout: 12 * time.Second, Attempts: 4}},
		{"defaults", "nameserver 192.0.2.53\n",
			Network{Servers: []string{"192.0.2.53:53"}, Timeout: 10 * time.Second, Attempts: 2}},
		{"caps", "nameserver 192.0.2.53\noptions timeout:90 attempts:9\n",
			Network{Servers: []string{"192.0.2.53:53"}, Timeout: 150 * time.Second, Attempts: 5}},
		{"no nameserver: the local server", "search example.com\n",
			Network{Servers: []string{"127.0.0.1:53", "[::1]:53"}, Timeout: 10 * time.Second, Attempts: 2}},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "resolv.conf")
		require.NoError(t, os.WriteFile(path, []byte(tt.conf), 0o600))
		r, err := system(path)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, *r, tt.name)
	}
	r, err := system(filepath.Join(dir, "missing"))
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:53", "[::1]:53"}, r.Servers, "no file: the local server")
}
