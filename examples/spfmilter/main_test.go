package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/milterflag"
	"github.com/d--j/go-milter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-listen", "inet:127.0.0.1:8891", "-authserv-id", "mx.hosted.example",
		"-reject-fail", "-tempfail-temperror", "-timeout", "5s", "-dns", "192.0.2.53"}, nil)
	require.NoError(t, err)
	assert.Equal(t, config{listen: milterflag.Addr{Network: "tcp", Address: "127.0.0.1:8891"}, authservID: "mx.hosted.example",
		rejectFail: true, tempfailTemperror: true, timeout: 5 * time.Second, dnsAddr: "192.0.2.53"}, cfg)

	cfg, err = parseFlags([]string{"-listen", "unix:/run/spfmilter/sock", "-authserv-id", "mx.hosted.example"}, nil)
	require.NoError(t, err)
	assert.Equal(t, milterflag.Addr{Network: "unix", Address: "/run/spfmilter/sock"}, cfg.listen)
	assert.Equal(t, 20*time.Second, cfg.timeout)
	assert.False(t, cfg.rejectFail || cfg.tempfailTemperror)
}

// TestBadFlags: each mistake is one line on stderr, naming the flag, and
// exit status 2.
func TestBadFlags(t *testing.T) {
	ok := []string{"-listen", "inet:127.0.0.1:0", "-authserv-id", ourID}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-authserv-id", ourID}, "-listen is required"},
		{[]string{"-listen", "127.0.0.1:8891"}, `-listen "127.0.0.1:8891": want inet:HOST:PORT or unix:PATH`},
		{[]string{"-listen", "inet:127.0.0.1"}, `-listen "inet:127.0.0.1": address 127.0.0.1: missing port in address`},
		{[]string{"-listen", "inet:127.0.0.1:smtp"}, `port "smtp" is not a number`},
		{[]string{"-listen", "inet:127.0.0.1:70000"}, `port "70000" is not a number`},
		{[]string{"-listen", "unix:"}, `-listen "unix:": no socket path`},
		{append(ok[:2:2], "-authserv-id", "mx hosted"), `-authserv-id "mx hosted": `},
		{append(ok[:2:2], "-authserv-id", "mx.hosted.example;spf=pass"), `-authserv-id "mx.hosted.example;spf=pass": `},
		{append(ok, "-timeout", "10ms"), "-timeout 10ms: at least 1s"},
		{append(ok, "-timeout", "soon"), `invalid value "soon" for flag -timeout`},
		{append(ok, "-bogus"), "flag provided but not defined: -bogus"},
		{append(ok, "extra"), `unexpected argument "extra"`},
		{append(ok, "-dns", "192.0.2.1", "-zone", "z"), "-dns and -zone cannot be used together"},
		{append(ok, "-dns", "192.0.2.1:x"), `-dns "192.0.2.1:x": port "x"`},
		{append(ok, "-zone", filepath.Join(t.TempDir(), "absent")), "-zone: open "},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr)
		assert.Equal(t, 2, code, "%q", tt.args)
		assert.Empty(t, stdout.String())
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%q: %s", tt.args, stderr.String())
		assert.True(t, strings.HasPrefix(stderr.String(), "spfmilter: "), stderr.String())
		assert.Contains(t, stderr.String(), tt.want, "%q", tt.args)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	for _, want := range []string{"usage: spfmilter", "milter_default_action = tempfail", "-listen", "-authserv-id", "-reject-fail", "-tempfail-temperror", "-dns", "-zone", "-timeout"} {
		assert.Contains(t, stdout.String(), want)
	}
	_, err := parseFlags([]string{"-help"}, &stdout)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

// TestListenFailure: a listen address in use is exit status 1.
func TestListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"-listen", "inet:" + ln.Addr().String(), "-authserv-id", ourID, "-zone", e2etest.ZoneFile(t, testZone)}, nil, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "spfmilter: -listen inet:"+ln.Addr().String()+": ")
}

// TestRunUnixSocketAndStop: run serves on a unix socket, replacing a stale
// one, and a stop (SIGTERM's context) ends it with status 0 and the
// socket removed.
func TestRunUnixSocketAndStop(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "m.sock")
	stale, err := net.Listen("unix", sock)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	require.FileExists(t, sock)

	ctx, stop := context.WithCancel(context.Background())
	var stderr e2etest.Log
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-listen", "unix:" + sock, "-authserv-id", ourID, "-zone", e2etest.ZoneFile(t, testZone)}, nil, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "listening") }, 10*time.Second, 10*time.Millisecond)

	c := milter.NewClient("unix", sock, milter.WithAction(milter.OptAddHeader|milter.OptChangeHeader))
	s, err := c.Session(nil)
	require.NoError(t, err)
	act, err := s.Conn("client.example", milter.FamilyInet, 25, "192.0.2.1")
	require.NoError(t, err)
	assert.Equal(t, milter.ActionContinue, act.Type)
	s.Close()

	stop()
	assert.Equal(t, 0, <-done, stderr.String())
	assert.NoFileExists(t, sock)
	assert.Regexp(t, regexp.MustCompile(`msg=stopping`), stderr.String())
}

// TestStopClosesLingeringSessions: a stop waits for open sessions only
// for its grace period; a session still open then is closed, so that the
// MTA applies its milter_default_action.
func TestStopClosesLingeringSessions(t *testing.T) {
	f := newFilterWith(testConfig(nil), newTestZone(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- serve(ctx, ln, f, 0) }()

	msg := message{addr: "192.0.2.1", from: "alice@pass.example"}
	s := openSession(t, ln.Addr().String(), msg)
	defer s.Close()
	stop()
	require.NoError(t, <-done)
	_, err = s.Mail(msg.from, "")
	assert.Error(t, err, "the session was closed")
}
