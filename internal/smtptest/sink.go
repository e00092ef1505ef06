package smtptest

import (
	"context"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// MaxMessageBytes is the largest message the sink accepts unless
// WithMaxMessageBytes says otherwise; it is offered in SIZE.
const MaxMessageBytes = 64 << 20

// A Sink is a loopback SMTP server that records the messages it accepts.
// Its methods are safe for concurrent use.
type Sink struct {
	srv  *smtp.Server
	ln   *listener
	stop chan struct{} // closed when the sink stops: releases ErrStall

	mu      sync.Mutex
	hook    Hook
	fail    map[Stage]error
	msgs    []Message
	changed chan struct{} // closed and replaced whenever msgs grows
}

// An Option configures a Sink.
type Option func(*smtp.Server)

// WithoutDSN makes the sink not offer DSN (RFC 3461): it then refuses
// NOTIFY, ORCPT, RET and ENVID parameters with 504.
func WithoutDSN() Option { return func(s *smtp.Server) { s.EnableDSN = false } }

// WithoutSMTPUTF8 makes the sink not offer SMTPUTF8 (RFC 6531): it then
// refuses the SMTPUTF8 MAIL parameter with 504.
func WithoutSMTPUTF8() Option { return func(s *smtp.Server) { s.EnableSMTPUTF8 = false } }

// WithMaxMessageBytes sets the size limit offered in SIZE and enforced
// on the data (552 when over).
func WithMaxMessageBytes(n int64) Option { return func(s *smtp.Server) { s.MaxMessageBytes = n } }

// NewSink starts a sink on 127.0.0.1 on a free port and stops it when the
// test ends, closing every connection. It fails the test when it cannot
// listen.
func NewSink(tb testing.TB, opts ...Option) *Sink {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	s := &Sink{
		ln:      &listener{Listener: l},
		stop:    make(chan struct{}),
		fail:    make(map[Stage]error),
		changed: make(chan struct{}),
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "sink.test"
	s.srv.EnableSMTPUTF8 = true
	s.srv.EnableDSN = true
	s.srv.MaxMessageBytes = MaxMessageBytes
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // a test's broken connections are expected
	for _, o := range opts {
		o(s.srv)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.srv.Serve(s.ln) // returns when the listener closes
	}()
	tb.Cleanup(func() {
		close(s.stop)
		s.ln.closeAll()
		<-served
		// Shutdown waits for every connection's goroutine; closeAll
		// has closed their connections and close(stop) released
		// stalled hooks, so this is quick.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err == context.DeadlineExceeded {
			tb.Errorf("smtptest: connections still open 10s after the sink stopped")
		}
	})
	return s
}

// Addr is the sink's address, "127.0.0.1:port".
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Port is the sink's port, for a client that takes the host apart.
func (s *Sink) Port() string {
	_, port, _ := net.SplitHostPort(s.Addr())
	return port
}

// Connections is how many connections the sink has accepted so far.
func (s *Sink) Connections() int {
	s.ln.mu.Lock()
	defer s.ln.mu.Unlock()
	return s.ln.accepted
}

// SetHook makes h decide every command from now on; nil removes it. A
// hook answers before any failure set with Fail: where it returns nil,
// Fail's error for the stage applies.
func (s *Sink) SetHook(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// Fail makes every command of stage answer err from now on (see Hook for
// what each error does); nil makes the stage succeed again.
func (s *Sink) Fail(stage Stage, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.fail, stage)
	} else {
		s.fail[stage] = err
	}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Wait blocks until the sink has accepted at least n messages and returns
// them all, or returns what it has with ctx's error when ctx ends first.
func (s *Sink) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := slices.Clone(s.msgs), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, ctx.Err()
		case <-changed:
		}
	}
}

// decide is the answer to one command: the hook's, else Fail's.
func (s *Sink) decide(stage Stage, arg string) error {
	s.mu.Lock()
	hook, fail := s.hook, s.fail[stage]
	s.mu.Unlock()
	if hook != nil {
		if err := hook(stage, arg); err != nil {
			return err
		}
	}
	return fail
}

func (s *Sink) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// listener remembers every connection it hands out, so that the sink can
// close them all when it stops.
type listener struct {
	net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	closed   bool
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns = append(l.conns, c)
	l.accepted++
	return c, nil
}

func (l *listener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.Listener.Close()
	for _, c := range l.conns {
		c.Close()
	}
}
