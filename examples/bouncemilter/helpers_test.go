package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// ourHost is the Postfix instances' host name: the authserv-id of both
// milters, the by clause of the Received fields, the Reporting-MTA.
const ourHost = postfixtest.DefaultHostname

// testZone is the DNS of the tests. Postfix's clients connect from
// 127.0.0.1: genuine.example and temp.example designate it, the others
// do not.
const testZone = `
genuine.example.  TXT "v=spf1 ip4:127.0.0.0/8 -all"
forged.example.   TXT "v=spf1 -all"
soft.example.     TXT "v=spf1 ~all"
none.example.     A   192.0.2.99
temp.example.     TXT "v=spf1 ip4:127.0.0.0/8 -all"
`

// newTestZone returns the test DNS.
func newTestZone(t testing.TB) *spftest.Zone {
	z, err := spftest.NewZone(strings.NewReader(testZone), ".")
	require.NoError(t, err)
	return z
}

// testConfig is the configuration of the tests; change may alter it.
func testConfig(change func(*config)) config {
	cfg := config{authservID: ourHost, trustRecorded: true, timeout: 5 * time.Second}
	if change != nil {
		change(&cfg)
	}
	return cfg
}

// startMilter serves the milter on ln, or a loopback port when ln is nil,
// until the test ends, with DNS from r; it returns its address and log.
func startMilter(t testing.TB, cfg config, r spf.Resolver, ln net.Listener) (string, *e2etest.Log) {
	t.Helper()
	var log e2etest.Log
	f := newFilterWith(cfg, r, slog.New(slog.NewTextHandler(&log, nil)))
	return serveFilter(t, f, ln), &log
}

// serveFilter serves f on ln, or a loopback port when ln is nil, until
// the test ends, and returns its address.
func serveFilter(t testing.TB, f *filter, ln net.Listener) string {
	t.Helper()
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, f, shutdownGrace) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return ln.Addr().String()
}

// spfmilterBin builds the spfmilter command once per test binary, into a
// directory TestMain removes.
type spfmilterBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// build returns the program's path.
func (b *spfmilterBin) build(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		b.path = filepath.Join(b.dir, "spfmilter")
		//lint:ignore SA1019 the test runs where it was built: the go that built it builds spfmilter
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-o", b.path, "github.com/bouncepolicy/bouncepolicy/examples/spfmilter").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build spfmilter: %v\n%s", err, out)
		}
	})
	require.NoError(t, b.err)
	return b.path
}

// builds is the package's one spfmilter build, shared by its tests.
var builds spfmilterBin

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bouncemilter-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	builds.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var listeningAddr = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startSPFMilter runs spfmilter, built from source, asking dnsAddr for
// DNS, until the test ends, and returns its address.
func startSPFMilter(t testing.TB, dnsAddr string) string {
	t.Helper()
	cmd := exec.Command(builds.build(t), "-listen", "inet:127.0.0.1:0", "-authserv-id", ourHost, "-dns", dnsAddr)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := listeningAddr.FindStringSubmatch(lines.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }() // its log is not read; keep it flowing
			return m[1]
		}
	}
	t.Fatalf("spfmilter did not start: %v", lines.Err())
	return ""
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, failing the test at ctx's end.
func waitFor(ctx context.Context, t testing.TB, cond func() bool, what func() string) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
