package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-listen", "127.0.0.1:2526", "-next-hop", "smtp.example.net:587", "-authserv-id", ourHost,
		"-postmaster", "postmaster@hosted.example", "-policy", "p.json", "-timeout", "30s", "-max-size", "2048",
		"-max-sessions", "3", "-dns", "192.0.2.53"}, nil)
	require.NoError(t, err)
	assert.Equal(t, config{listen: "127.0.0.1:2526", nextHop: "smtp.example.net:587", hostname: ourHost, authservGiven: true,
		postmaster: "postmaster@hosted.example", policyFile: "p.json", timeout: 30 * time.Second, maxSize: 2048,
		maxSessions: 3, dnsAddr: "192.0.2.53"}, cfg)

	cfg, err = parseFlags([]string{"-authserv-id", ourHost}, nil)
	require.NoError(t, err)
	assert.Equal(t, config{listen: defaultListen, hostname: ourHost, authservGiven: true, timeout: defaultTimeout,
		maxSize: defaultMaxSize, maxSessions: defaultMaxSessions}, cfg, "qmail's smtproutes :127.0.0.1:2525; MX lookups")
}

// TestBadFlags: each mistake is one line on stderr, naming the flag, and
// exit status 2.
func TestBadFlags(t *testing.T) {
	ok := []string{"-listen", "127.0.0.1:0", "-authserv-id", ourHost}
	badPolicy := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(badPolicy, []byte(`{"mdoe": "always"}`), 0o600))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-listen", "127.0.0.1"}, `-listen "127.0.0.1": want HOST:PORT`},
		{[]string{"-listen", "127.0.0.1:smtp"}, `port "smtp" is not a number`},
		{[]string{"-listen", "127.0.0.1:70000"}, `port "70000" is not a number`},
		{append(ok, "-next-hop", "mx.example.net"), `-next-hop "mx.example.net": want HOST:PORT`},
		{append(ok, "-next-hop", "mx.example.net:0"), `-next-hop "mx.example.net:0": port "0"`},
		{append(ok, "-next-hop", ":25"), `-next-hop ":25": no host`},
		{append(ok[:2:2], "-authserv-id", "mx hosted"), `-authserv-id "mx hosted": `},
		{append(ok, "-postmaster", "postmaster"), `-postmaster "postmaster": `},
		{append(ok, "-timeout", "10ms"), "-timeout 10ms: from 1s to 9m"},
		{append(ok, "-timeout", "10m"), "-timeout 10m0s: from 1s to 9m"},
		{append(ok, "-timeout", "soon"), `invalid value "soon" for flag -timeout`},
		{append(ok, "-max-size", "10"), "-max-size 10: at least 1024"},
		{append(ok, "-max-sessions", "0"), "-max-sessions 0: at least 1"},
		{append(ok, "-bogus"), "flag provided but not defined: -bogus"},
		{append(ok, "extra"), `unexpected argument "extra"`},
		{append(ok, "-dns", "192.0.2.1", "-zone", "z"), "-dns and -zone cannot be used together"},
		{append(ok, "-zone", filepath.Join(t.TempDir(), "absent")), "-zone: open "},
		{append(ok, "-policy", filepath.Join(t.TempDir(), "absent")), "-policy: open "},
		{append(ok, "-policy", badPolicy), `-policy ` + badPolicy + `: policy: unknown key "mdoe"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr)
		assert.Equal(t, 2, code, "%q", tt.args)
		assert.Empty(t, stdout.String())
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%q: %s", tt.args, stderr.String())
		assert.True(t, strings.HasPrefix(stderr.String(), "bouncegate: "), stderr.String())
		assert.Contains(t, stderr.String(), tt.want, "%q", tt.args)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	for _, want := range []string{"usage: bouncegate", "4xx", "-listen", "-next-hop", "-authserv-id", "-postmaster", "-policy", "-dns", "-zone", "-timeout", "-max-size", "-max-sessions"} {
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
	code := run(context.Background(), []string{"-listen", ln.Addr().String(), "-authserv-id", ourHost, "-zone", e2etest.ZoneFile(t, testZone)}, nil, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "bouncegate: -listen "+ln.Addr().String()+": ")
}

// TestRunWithPolicyFileAndStop: run serves with the flags' policy file,
// -postmaster and -zone; a forged sender's DSN brings the postmaster the
// notice the file's notice_on asks for. A stop (SIGTERM's context) ends
// it with status 0.
func TestRunWithPolicyFileAndStop(t *testing.T) {
	sink := smtptest.NewSink(t)
	pol := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(pol, []byte(`{"notice_on": ["spf-fail"]}`), 0o600))
	ctx, stop := context.WithCancel(context.Background())
	var stderr e2etest.Log
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-next-hop", sink.Addr(), "-authserv-id", ourHost,
			"-postmaster", "postmaster@hosted.example", "-policy", pol, "-zone", e2etest.ZoneFile(t, testZone)}, nil, &stderr)
	}()
	addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
	require.Eventually(t, func() bool { return addrRE.MatchString(stderr.String()) }, 10*time.Second, 10*time.Millisecond)
	addr := addrRE.FindStringSubmatch(stderr.String())[1]

	require.NoError(t, send(t, addr, tx{to: []string{forged}, data: postfixDSN(forged, "file")}), stderr.String())
	msgs := sink.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "postmaster@hosted.example", msgs[0].To[0].Addr)

	stop()
	assert.Equal(t, 0, <-done, stderr.String())
	assert.Contains(t, stderr.String(), "msg=stopping")
}

// TestStopClosesLingeringSessions: a stop waits for open sessions only
// for its grace period, then closes them; the MTA keeps what they had not
// had answered.
func TestStopClosesLingeringSessions(t *testing.T) {
	g, err := newGateWith(testConfig(closedPort(t)), newTestZone(t), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- serve(ctx, ln, g, 100*time.Millisecond) }()

	c, err := smtp.Dial(ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello("mx.hosted.example"))
	stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a lingering session held the stop")
	}
	assert.Error(t, c.Noop(), "the session was closed")
}

// TestMaxSessions: sessions over -max-sessions wait for a free one.
func TestMaxSessions(t *testing.T) {
	sink := smtptest.NewSink(t)
	cfg := testConfig(sink.Addr())
	cfg.maxSessions = 1
	addr, _ := startGate(t, cfg, newTestZone(t), nil)
	first, err := smtp.Dial(addr)
	require.NoError(t, err)
	require.NoError(t, first.Hello("mx.hosted.example"))

	second := make(chan error, 1)
	go func() {
		second <- send(t, addr, tx{from: genuine, to: []string{"bob@example.net"}, data: plainMessage("second")})
	}()
	select {
	case err := <-second:
		t.Fatalf("a second session was served while the first was open: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, first.Quit())
	require.NoError(t, <-second)
}

// TestSessionLifetime: a client that keeps its session alive with a
// command now and then (NOOP within every read timeout) loses it once
// sessionLifetime is over, with a 421, so that it cannot hold a slot of
// -max-sessions for ever while the MTA's DSNs wait.
func TestSessionLifetime(t *testing.T) {
	// Restored after the gate stops (cleanups run last first).
	old := sessionLifetime
	t.Cleanup(func() { sessionLifetime = old })
	sessionLifetime = 500 * time.Millisecond
	sink := smtptest.NewSink(t)
	cfg := testConfig(sink.Addr())
	cfg.maxSessions = 1
	addr, log := startGate(t, cfg, newTestZone(t), nil)
	hog, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer hog.Close()
	require.NoError(t, hog.Hello("drip.example"))

	second := make(chan error, 1)
	go func() {
		second <- send(t, addr, tx{from: genuine, to: []string{"bob@example.net"}, data: plainMessage("waiting")})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for err = hog.Noop(); err == nil && time.Now().Before(deadline); err = hog.Noop() {
		time.Sleep(50 * time.Millisecond)
	}
	require.Error(t, err, "the dripping session outlived its lifetime")
	select {
	case err := <-second:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting session was not served")
	}
	assert.Contains(t, log.String(), "session lifetime over")
}
