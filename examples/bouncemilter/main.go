// Command bouncemilter is a bounce-time milter: it sees only the delivery
// status notifications (RFC 3464) that Postfix's bounce(8) writes, through
// a cleanup service of their own, and decides with the bounce policy
// (package policy) whether each goes to the original's return path. A DSN
// to a genuine sender (SPF pass, recorded at receipt by spfmilter or
// evaluated now) leaves with an X-Bounce-Policy field naming the reason;
// a dropped one goes to the postmaster when the reason calls for a notice,
// else it is discarded, and is logged either way; when the policy defers
// (SPF temperror) or anything fails, the milter tempfails, so that
// Postfix keeps the original queued and writes the DSN again at its next
// attempt. Postfix's queue stays the only queue.
//
// Usage:
//
//	bouncemilter -listen inet:127.0.0.1:8892 -authserv-id mx.example.org
//	             [-policy FILE] [-postmaster postmaster@example.org] [-notice-on REASON,...]
//	             [-timeout 20s] [-dns HOST[:PORT] | -zone FILE]
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
			err = milterflag.ListenAndServe(ctx, cfg.listen, f.newServer(), f.log, "authserv_id", f.cfg.authservID, "postmaster", f.pol.Postmaster)
		}
	}
	return cmdflag.ExitStatus("bouncemilter", err, stderr)
}

// serve serves milter sessions on ln until ctx is done, then stops
// gracefully within grace.
func serve(ctx context.Context, ln net.Listener, f *filter, grace time.Duration) error {
	return milterflag.Serve(ctx, ln, f.newServer(), grace, f.log)
}
