package milterflag

import (
	"flag"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
)

func TestDefineAndParseListen(t *testing.T) {
	fs := flag.NewFlagSet("m", flag.ContinueOnError)
	listen := DefineListen(fs)
	require.NoError(t, fs.Parse([]string{"-listen", "unix:/run/m.sock"}))
	a, err := ParseListen(*listen)
	require.NoError(t, err)
	assert.Equal(t, Addr{"unix", "/run/m.sock"}, a)

	_, err = ParseListen("")
	require.ErrorIs(t, err, cmdflag.ErrUsage)
	assert.Equal(t, "-listen is required (inet:HOST:PORT or unix:PATH)", err.Error())
	_, err = ParseListen("127.0.0.1:8891")
	require.ErrorIs(t, err, cmdflag.ErrUsage)
	assert.Equal(t, `-listen "127.0.0.1:8891": want inet:HOST:PORT or unix:PATH`, err.Error())
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Addr{
		"inet:127.0.0.1:8891": {"tcp", "127.0.0.1:8891"},
		"inet:[::1]:8891":     {"tcp", "[::1]:8891"},
		"inet::8891":          {"tcp", ":8891"},
		"INET:localhost:0":    {"tcp", "localhost:0"},
		"unix:/run/m.sock":    {"unix", "/run/m.sock"},
		"local:/run/m.sock":   {"unix", "/run/m.sock"},
	} {
		got, err := Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want, must(t, got.String()), "String reads back")
	}
	for in, want := range map[string]string{
		"127.0.0.1:8891":       `-listen "127.0.0.1:8891": want inet:HOST:PORT or unix:PATH`,
		"inet:127.0.0.1":       `-listen "inet:127.0.0.1": address 127.0.0.1: missing port in address`,
		"inet:127.0.0.1:smtp":  `port "smtp" is not a number`,
		"inet:127.0.0.1:70000": `port "70000" is not a number`,
		"unix:":                `-listen "unix:": no socket path`,
	} {
		_, err := Parse(in)
		assert.ErrorContains(t, err, want, in)
	}
}

func must(t *testing.T, s string) Addr {
	a, err := Parse(s)
	require.NoError(t, err)
	return a
}

// A stale socket nothing answers on is replaced; a live one is not.
func TestListenStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.sock")
	a := Addr{"unix", path}
	ln, err := a.Listen()
	require.NoError(t, err)
	_, err = a.Listen()
	require.Error(t, err, "a live socket is kept")
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ln, err = a.Listen()
	require.NoError(t, err, "a stale socket is removed")
	ln.Close()
}
