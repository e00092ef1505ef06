// Command spfmilter is a receipt milter: it checks SPF (RFC 7208) on each
// message's return path as the MTA receives it, records the result in
// Received-SPF (RFC 7208 §9.1) and Authentication-Results (RFC 8601)
// fields at the top of the header, and deletes the fields of those names
// that arrive claiming to be its own (RFC 8601 §5), so that what a later
// bounce decision reads under this host's name was written by this host.
// Optionally it rejects SPF fail, and tempfails temperror, in the session.
//
// Usage:
//
//	spfmilter -listen inet:127.0.0.1:8891 -authserv-id mx.example.org
//	          [-reject-fail] [-tempfail-temperror] [-timeout 20s]
//	          [-dns HOST[:PORT] | -zone FILE]
//
// It speaks the milter protocol (version 6) through
// github.com/d--j/go-milter; see README.md for the Postfix settings. Bad
// flags give a one-line message and exit status 2; SIGTERM or SIGINT stops
// it gracefully: it stops accepting, lets open sessions finish for a
// while, then closes them.
package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/milterflag"
)

// shutdownGrace is how long a stop waits for open sessions.
const shutdownGrace = milterflag.ShutdownGrace

func main() { cmdflag.Main(run) }

// run reads the flags, serves until ctx is done, and returns the exit
// status: 0 after a stop or -h, 2 for bad flags, 1 for other failures.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout)
	if err == nil {
		var f *filter
		if f, err = newFilter(cfg, slog.New(slog.NewTextHandler(stderr, nil))); err == nil {
			err = milterflag.ListenAndServe(ctx, cfg.listen, f.newServer(), f.log, "authserv_id", f.cfg.authservID)
		}
	}
	return cmdflag.ExitStatus("spfmilter", err, stderr)
}

// serve serves milter sessions on ln until ctx is done, then stops
// gracefully within grace.
func serve(ctx context.Context, ln net.Listener, f *filter, grace time.Duration) error {
	return milterflag.Serve(ctx, ln, f.newServer(), grace, f.log)
}
