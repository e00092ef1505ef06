package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/milterflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-listen", "inet:127.0.0.1:8892", "-authserv-id", ourHost,
		"-postmaster", "postmaster@ops.example", "-notice-on", "spf-fail, spf-softfail", "-timeout", "5s", "-dns", "192.0.2.53"}, nil)
	require.NoError(t, err)
	assert.Equal(t, config{listen: milterflag.Addr{Network: "tcp", Address: "127.0.0.1:8892"}, authservID: ourHost, trustRecorded: true,
		postmaster: "postmaster@ops.example", noticeOn: []policy.Reason{policy.ReasonSPFFail, policy.ReasonSPFSoftFail},
		timeout: 5 * time.Second, dnsAddr: "192.0.2.53"}, cfg)

	cfg, err = parseFlags([]string{"-listen", "unix:/run/bouncemilter/sock", "-notice-on", "none"}, nil)
	require.NoError(t, err)
	assert.Equal(t, milterflag.Addr{Network: "unix", Address: "/run/bouncemilter/sock"}, cfg.listen)
	assert.False(t, cfg.trustRecorded, "no -authserv-id: the host name, and no recorded field trusted")
	assert.NotEmpty(t, cfg.authservID)
	assert.Equal(t, []policy.Reason{}, cfg.noticeOn, "none: no notices, not the default set")
	assert.Equal(t, 20*time.Second, cfg.timeout)

	cfg, err = parseFlags([]string{"-listen", "inet::8892"}, nil)
	require.NoError(t, err)
	assert.Nil(t, cfg.noticeOn, "the policy's default set")

	// -policy: the file's policy, the flags amending it.
	file := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"on_spf": {"softfail": "bounce"}, "postmaster": "pm@ops.example",
		"authserv_id": "`+ourHost+`", "trust_recorded_headers": true, "notice_on": ["spf-fail"]}`), 0o600))
	cfg, err = parseFlags([]string{"-listen", "inet::8892", "-policy", file}, nil)
	require.NoError(t, err)
	assert.Equal(t, ourHost, cfg.authservID)
	assert.True(t, cfg.trustRecorded)
	p := newPolicy(cfg, nil)
	assert.Equal(t, "pm@ops.example", p.Postmaster)
	assert.Equal(t, []policy.Reason{policy.ReasonSPFFail}, p.NoticeOn)
	assert.Equal(t, policy.Bounce, p.OnSPF["softfail"])
	cfg, err = parseFlags([]string{"-listen", "inet::8892", "-policy", file, "-postmaster", "other@ops.example", "-notice-on", "none"}, nil)
	require.NoError(t, err)
	p = newPolicy(cfg, nil)
	assert.Equal(t, "other@ops.example", p.Postmaster, "the flag wins")
	assert.Equal(t, []policy.Reason{}, p.NoticeOn)
}

// TestBadFlags: each mistake is one line on stderr, naming the flag, and
// exit status 2.
func TestBadFlags(t *testing.T) {
	ok := []string{"-listen", "inet:127.0.0.1:0", "-authserv-id", ourHost}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-authserv-id", ourHost}, "-listen is required"},
		{[]string{"-listen", "127.0.0.1:8892"}, `-listen "127.0.0.1:8892": want inet:HOST:PORT or unix:PATH`},
		{[]string{"-listen", "unix:"}, `-listen "unix:": no socket path`},
		{append(ok[:2:2], "-authserv-id", "mx hosted"), `-authserv-id "mx hosted": `},
		{append(ok, "-postmaster", "nobody"), "-postmaster: "},
		{append(ok, "-postmaster", "a@b.example\r\nRCPT TO:<x@y.example>"), "-postmaster: "},
		{append(ok, "-notice-on", "spf-bogus"), `-notice-on: "spf-bogus" is no reason for a drop`},
		{append(ok, "-timeout", "10ms"), "-timeout 10ms: at least 1s"},
		{append(ok, "-timeout", "soon"), `invalid value "soon" for flag -timeout`},
		{append(ok, "-bogus"), "flag provided but not defined: -bogus"},
		{append(ok, "extra"), `unexpected argument "extra"`},
		{append(ok, "-dns", "192.0.2.1", "-zone", "z"), "-dns and -zone cannot be used together"},
		{append(ok, "-zone", filepath.Join(t.TempDir(), "absent")), "-zone: open "},
		{append(ok, "-policy", filepath.Join(t.TempDir(), "absent")), "-policy: open "},
		{append(ok, "-policy", policyFile(t, `{"mode": "sometimes"}`)), `policy: mode: unknown mode "sometimes"`},
		{append(ok, "-policy", policyFile(t, `{"modus": "always"}`)), `unknown key "modus"`},
		{append(ok, "-policy", policyFile(t, `{"defer_for": "soon"}`)), `defer_for: "soon" is not a duration`},
	}
	// Stopped before it starts: flags taken by mistake end the test.
	stopped, stop := context.WithCancel(context.Background())
	stop()
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(stopped, tt.args, &stdout, &stderr)
		assert.Equal(t, 2, code, "%q", tt.args)
		assert.Empty(t, stdout.String())
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%q: %s", tt.args, stderr.String())
		assert.True(t, strings.HasPrefix(stderr.String(), "bouncemilter: "), stderr.String())
		assert.Contains(t, stderr.String(), tt.want, "%q", tt.args)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	for _, want := range []string{"usage: bouncemilter", "milter_default_action = tempfail", "-listen", "-authserv-id", "-postmaster", "-notice-on", "-dns", "-zone", "-timeout"} {
		assert.Contains(t, stdout.String(), want)
	}
	_, err := parseFlags([]string{"-help"}, &stdout)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

// TestRunAndStop: run serves from a zone file until stopped: status 0; a
// listen address in use is status 1.
func TestRunAndStop(t *testing.T) {
	zone := e2etest.ZoneFile(t, testZone)
	ctx, stop := context.WithCancel(context.Background())
	var stderr e2etest.Log
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-listen", "inet:127.0.0.1:0", "-authserv-id", ourHost, "-zone", zone}, nil, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "listening") }, 10*time.Second, 10*time.Millisecond)
	m := listeningAddr.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())

	r := runMessage(t, m[1], "", []string{"alice@genuine.example"}, fixture(t))
	assert.Equal(t, "header X-Bounce-Policy: bounce; reason=spf-pass\n", modsOf(r.mods))

	var busy bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-listen", "inet:" + m[1], "-zone", zone}, nil, &busy))
	assert.Contains(t, busy.String(), "bouncemilter: -listen inet:"+m[1]+": ")

	stop()
	assert.Equal(t, 0, <-done, stderr.String())
	assert.Contains(t, stderr.String(), "msg=stopping")
	_, err := net.Dial("tcp", m[1])
	assert.Error(t, err, "no longer listening")
}

// policyFile writes a policy file.
func policyFile(t *testing.T, content string) string {
	name := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(name, []byte(content), 0o600))
	return name
}
