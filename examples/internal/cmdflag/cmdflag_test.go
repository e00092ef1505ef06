package cmdflag

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

func TestParseArgs(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("m", flag.ContinueOnError)
		fs.String("listen", "", "where to listen")
		return fs
	}
	require.NoError(t, ParseArgs(newFS(), []string{"-listen", "inet:127.0.0.1:0"}, "about\n", nil))

	var help strings.Builder
	require.ErrorIs(t, ParseArgs(newFS(), []string{"-h"}, "usage: m\n", &help), flag.ErrHelp)
	assert.True(t, strings.HasPrefix(help.String(), "usage: m\n"))
	assert.Contains(t, help.String(), "-listen")

	err := ParseArgs(newFS(), []string{"-bogus"}, "", nil)
	require.ErrorIs(t, err, ErrUsage)
	assert.Equal(t, "flag provided but not defined: -bogus", err.Error())
	err = ParseArgs(newFS(), []string{"extra"}, "", nil)
	require.ErrorIs(t, err, ErrUsage)
	assert.Equal(t, `unexpected argument "extra"`, err.Error())
	assert.ErrorIs(t, Usage(errors.New("x")), ErrUsage)
}

func TestExitStatus(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 0, ExitStatus("m", nil, &stderr))
	assert.Equal(t, 0, ExitStatus("m", flag.ErrHelp, &stderr))
	assert.Empty(t, stderr.String())
	assert.Equal(t, 2, ExitStatus("m", Usagef("-x: bad"), &stderr))
	assert.Equal(t, "m: -x: bad\n", stderr.String())
	stderr.Reset()
	assert.Equal(t, 1, ExitStatus("m", errors.New("listen: in use"), &stderr))
	assert.Equal(t, "m: listen: in use\n", stderr.String())
	assert.Equal(t, 2, Status(fmt.Errorf("policy: %w", Usage(errors.New("bad")))), "wrapped, still bad usage")
}

func TestAuthservID(t *testing.T) {
	id, err := AuthservID("mx.hosted.example")
	require.NoError(t, err)
	assert.Equal(t, "mx.hosted.example", id)
	host, err := os.Hostname()
	if err == nil && smtpsyntax.CheckHostname(host) == nil {
		id, err = AuthservID("")
		require.NoError(t, err)
		assert.Equal(t, host, id, "the host name by default")
	}
	_, err = AuthservID("bad host")
	require.ErrorIs(t, err, ErrUsage)
	assert.True(t, strings.HasPrefix(err.Error(), `-authserv-id "bad host": `), err.Error())
}
