// Package milterflag is the -listen flag of the example milters and their
// serving loop with a graceful stop: written once for spfmilter and
// bouncemilter.
package milterflag

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/d--j/go-milter"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
)

// Addr is where a milter listens: Network "tcp" or "unix".
type Addr struct{ Network, Address string }

// String gives the address in the -listen syntax.
func (a Addr) String() string {
	if a.Network == "unix" {
		return "unix:" + a.Address
	}
	return "inet:" + a.Address
}

// Parse reads a -listen value, in Postfix's notation for milters:
// inet:HOST:PORT (HOST an IPv6 address in brackets, or empty for all
// addresses) or unix:PATH; sendmail's local:PATH is taken too. The error
// names the flag and stands alone.
func Parse(s string) (Addr, error) {
	kind, addr, _ := strings.Cut(s, ":")
	switch strings.ToLower(kind) {
	case "unix", "local":
		if addr == "" {
			return Addr{}, fmt.Errorf("-listen %q: no socket path", s)
		}
		return Addr{"unix", addr}, nil
	case "inet":
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return Addr{}, fmt.Errorf("-listen %q: %v", s, err)
		}
		// Port 0 picks a free port, which the log then names.
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return Addr{}, fmt.Errorf("-listen %q: port %q is not a number from 0 to 65535", s, port)
		}
		return Addr{"tcp", addr}, nil
	}
	return Addr{}, fmt.Errorf("-listen %q: want inet:HOST:PORT or unix:PATH", s)
}

// DefineListen defines a milter's -listen on fs; ParseListen reads the
// value after fs.Parse.
func DefineListen(fs *flag.FlagSet) *string {
	return fs.String("listen", "", "where to listen for the MTA: inet:HOST:PORT or unix:PATH (required)")
}

// ParseListen reads the value of -listen, which is required, with Parse.
// Errors are bad usage (cmdflag.ErrUsage).
func ParseListen(s string) (Addr, error) {
	if s == "" {
		return Addr{}, cmdflag.Usagef("-listen is required (inet:HOST:PORT or unix:PATH)")
	}
	a, err := Parse(s)
	if err != nil {
		return Addr{}, cmdflag.Usage(err)
	}
	return a, nil
}

// Listen opens the listener. A unix socket left behind by a milter that
// did not stop cleanly, which nothing answers on, is removed first.
func (a Addr) Listen() (net.Listener, error) {
	if a.Network == "unix" {
		if fi, err := os.Lstat(a.Address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.Dial("unix", a.Address); err == nil {
				c.Close()
			} else {
				os.Remove(a.Address)
			}
		}
	}
	ln, err := net.Listen(a.Network, a.Address)
	if err != nil {
		return nil, fmt.Errorf("-listen %s: %w", a, err)
	}
	return ln, nil
}

// Serve serves milter sessions on ln until ctx is done, then stops
// gracefully: no new connection is accepted, open sessions get grace to
// finish and are then closed (the MTA then applies its
// milter_default_action to them).
func Serve(ctx context.Context, ln net.Listener, srv *milter.Server, grace time.Duration, log *slog.Logger) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(quickAck(ln)) }()
	select {
	case err := <-done:
		srv.Close()
		if err != nil {
			err = fmt.Errorf("serving %s: %w", ln.Addr(), err)
		}
		return err
	case <-ctx.Done():
	}
	log.Info("stopping", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("sessions closed unfinished", "err", err)
	}
	<-done
	return nil
}

// ShutdownGrace is how long a stop waits for open sessions before it
// closes them; the MTA then applies its milter_default_action.
const ShutdownGrace = 10 * time.Second

// ListenAndServe listens at a and serves srv's sessions until ctx is
// done, then stops within ShutdownGrace. The log's "listening" line names
// the address (port 0 resolved) and attrs.
func ListenAndServe(ctx context.Context, a Addr, srv *milter.Server, log *slog.Logger, attrs ...any) error {
	ln, err := a.Listen()
	if err != nil {
		return err
	}
	log.Info("listening", append([]any{"addr", ln.Addr().String()}, attrs...)...)
	return Serve(ctx, ln, srv, ShutdownGrace, log)
}
