// Command bouncegate is an SMTP bounce gate for MTAs without a bounce
// hook, such as qmail and Exim: the MTA sends it its outgoing mail (or
// only its null-sender mail), and it decides each DSN (RFC 3464) with the
// bounce policy before the DSN leaves. A DSN the policy bounces is relayed
// to the return path's MX, or to the next hop; one it drops is answered
// 250, with a postmaster notice where the policy asks for one; one it
// defers is answered 451. Other mail is relayed undecided.
//
// Usage:
//
//	bouncegate -listen 127.0.0.1:2525 -authserv-id mx.example.org
//	           [-next-hop HOST:PORT] [-postmaster ADDR] [-policy FILE]
//	           [-timeout 1m] [-max-size BYTES] [-max-sessions N]
//	           [-dns HOST[:PORT] | -zone FILE]
//
// It takes one recipient per transaction, so that each reply after DATA
// is one recipient's outcome. Whenever it cannot decide or relay, it
// answers 4xx: the MTA keeps the message, and the gate keeps none of its
// own. See README.md for the Postfix, qmail and Exim settings. Bad flags
// give a one-line message and exit status 2; SIGTERM or SIGINT stops it
// gracefully: it stops accepting, lets open sessions finish for a while,
// then closes them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/policyjson"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// shutdownGrace is how long a stop waits for open sessions before it
// closes them; the MTA keeps what was not answered and sends it again.
const shutdownGrace = 10 * time.Second

func main() { cmdflag.Main(run) }

// run reads the flags, serves until ctx is done, and returns the exit
// status: 0 after a stop or -h, 2 for bad flags, 1 for other failures.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout)
	if err == nil {
		var g *gate
		if g, err = newGate(cfg, slog.New(slog.NewTextHandler(stderr, nil))); err == nil {
			err = listenAndServe(ctx, g)
		}
	}
	return cmdflag.ExitStatus("bouncegate", err, stderr)
}

// newGate builds the gate the configuration describes: its policy, from
// -policy or the defaults, and its relay, both with the DNS of -dns or
// -zone.
func newGate(cfg config, log *slog.Logger) (*gate, error) {
	res, err := dnsflag.New(cfg.dnsAddr, cfg.zoneFile)
	if err != nil {
		return nil, err
	}
	return newGateWith(cfg, res, log)
}

// newGateWith is newGate with the resolver given.
func newGateWith(cfg config, res spf.Resolver, log *slog.Logger) (*gate, error) {
	pol, err := loadPolicy(cfg.policyFile)
	if err != nil {
		return nil, err
	}
	if cfg.authservGiven || pol.AuthservID == "" {
		pol.AuthservID = cfg.hostname
	}
	if pol.ReportingMTA == "" {
		pol.ReportingMTA = cfg.hostname
	}
	if cfg.postmaster != "" {
		pol.Postmaster = cfg.postmaster
	}
	pol.Resolver = res
	pol.Logger = log
	if err := pol.Validate(); err != nil {
		return nil, cmdflag.Usagef("policy: %v", err)
	}
	relay := &deliver.Client{Resolver: res, NextHop: cfg.nextHop, HELO: cfg.hostname, Timeout: cfg.timeout}
	return &gate{cfg: cfg, pol: pol, relay: relay, log: log}, nil
}

// listenAndServe listens where g.cfg says and serves SMTP sessions until
// ctx is done.
func listenAndServe(ctx context.Context, g *gate) error {
	ln, err := net.Listen("tcp", g.cfg.listen)
	if err != nil {
		return fmt.Errorf("-listen %s: %w", g.cfg.listen, err)
	}
	g.log.Info("listening", "addr", ln.Addr().String(), "next_hop", g.cfg.nextHop, "authserv_id", g.cfg.hostname)
	return serve(ctx, ln, g, shutdownGrace)
}

// serve serves SMTP sessions on ln, at most maxSessions at once, until
// ctx is done, then stops gracefully within grace.
func serve(ctx context.Context, ln net.Listener, g *gate, grace time.Duration) error {
	srv := g.newServer()
	tl := newTrackingListener(ln, g.cfg.maxSessions)
	tl.log = g.log
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tl) }()
	select {
	case err := <-done:
		srv.Close()
		tl.closeAll()
		if err != nil {
			err = fmt.Errorf("serving %s: %w", ln.Addr(), err)
		}
		return err
	case <-ctx.Done():
	}
	g.log.Info("stopping", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		// go-smtp's Close does nothing after Shutdown: close the
		// lingering sessions here. The MTA keeps their messages.
		g.log.Warn("sessions closed unfinished", "err", err)
		tl.closeAll()
	}
	<-done
	return nil
}

// trackingListener hands out at most max connections at once (the rest
// wait in the kernel's backlog), and remembers them so that a stop can
// close those still open.
type trackingListener struct {
	net.Listener
	slots chan struct{}
	log   *slog.Logger // where a session cut at its lifetime is logged; nil: nowhere

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newTrackingListener(ln net.Listener, max int) *trackingListener {
	return &trackingListener{Listener: ln, slots: make(chan struct{}, max), conns: make(map[net.Conn]struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *trackingListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	// go-smtp sets a read deadline before each read: tc holds it to end.
	tc := &trackedConn{Conn: c, l: l, end: time.Now().Add(sessionLifetime)}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[tc] = struct{}{}
	return tc, nil
}

// closeAll closes every connection still open.
func (l *trackingListener) closeAll() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// trackedConn frees its slot when closed, once, and ends its session at
// end: every read deadline go-smtp sets (sessionTimeout, per command) is
// held to it, so the last read fails, go-smtp answers 421 4.4.2 and closes.
type trackedConn struct {
	net.Conn
	l    *trackingListener
	end  time.Time
	once sync.Once
	cut  sync.Once
}

// SetReadDeadline sets the read deadline, at most end.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if t.IsZero() || t.After(c.end) {
		t = c.end
	}
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, the read one at most end.
func (c *trackedConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// Read reads, and logs a session cut at its lifetime, once.
func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	var ne net.Error
	if err != nil && c.l.log != nil && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(c.end) {
		c.cut.Do(func() {
			c.l.log.Warn("session closed: session lifetime over", "client", c.RemoteAddr().String(), "lifetime", sessionLifetime)
		})
	}
	return n, err
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}

// loadPolicy reads the -policy file, or gives the default policy.
func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return &policy.Policy{}, nil
	}
	pf, err := policyjson.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return pf.Policy()
}
