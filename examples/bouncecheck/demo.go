package main

import (
	"bytes"
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// demoFiles holds the demo's DNS zone and its messages: three failed
// deliveries, and four messages to a user on vacation.
//
//go:embed demo
var demoFiles embed.FS

// demoCase is one message of the demo story.
type demoCase struct {
	title      string
	returnPath string
	clientIP   string
	helo       string
	message    string // file in demo/
}

var demoCases = []demoCase{
	{"A genuine sender", "alice@genuine.example", "192.0.2.10", "mail.genuine.example", "genuine.eml"},
	{"A forged sender (spam claiming to be shop.example)", "security@shop.example", "203.0.113.66", "shop.example", "forged.eml"},
	{"A null sender (a bounce from elsewhere)", "", "198.51.100.25", "mx.elsewhere.example", "nullsender.eml"},
}

// demoAbout is what `bouncecheck demo -h` says it does.
const demoAbout = `Tells, in words, an offline story (an embedded DNS zone and messages): a
genuine sender's mail to a missing mailbox is bounced, a forged sender's is
dropped with a postmaster notice, a null sender's is dropped. Then a user
goes on vacation: a genuine colleague gets one auto-reply, a second message
within the week none, and neither a forged sender nor a mailing list gets
one. It writes no file. bouncecheck with no arguments runs it too.
`

// runDemo implements `bouncecheck demo`: an offline story, told in words
// on stdout. It writes no file.
func runDemo(args []string, _ io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cmdflag.Usagef("demo: takes no arguments")
	}
	zone, err := demoFiles.Open("demo/zone.txt")
	if err != nil {
		return err
	}
	defer zone.Close()
	res, err := resolver.NewZone(zone, ".")
	if err != nil {
		return err
	}
	receivedAt := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	now := receivedAt.Add(10 * time.Minute)
	pol := &policy.Policy{
		ReportingMTA: "mx.hosted.example",
		Postmaster:   "postmaster@hosted.example",
		Checker:      &spf.Checker{Resolver: res, Receiver: "mx.hosted.example"},
		Now:          func() time.Time { return now },
	}

	fmt.Fprintln(stdout, "mx.hosted.example accepted three messages for nobody@hosted.example, then found")
	fmt.Fprintln(stdout, "that the mailbox does not exist (550 5.1.1). Bounce, or drop? The default policy")
	fmt.Fprintln(stdout, "bounces only where SPF shows the return path genuine. (Offline: DNS is an embedded zone.)")
	for i, c := range demoCases {
		msg, err := demoFiles.ReadFile("demo/" + c.message)
		if err != nil {
			return err
		}
		ev := policy.Event{
			ReturnPath: c.returnPath,
			ClientIP:   netip.MustParseAddr(c.clientIP),
			HELO:       c.helo,
			ReceivedAt: receivedAt,
			Original:   policy.OriginalBytes(msg),
			Recipients: []policy.Delivery{{
				Address:     "nobody@hosted.example",
				Action:      dsn.ActionFailed,
				Status:      dsn.Status{Class: 5, Subject: 1, Detail: 1},
				Reply:       "550 5.1.1 <nobody@hosted.example>: no such user",
				LastAttempt: receivedAt.Add(2 * time.Second),
			}},
		}
		d, err := pol.Decide(context.Background(), ev)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%d. %s: MAIL FROM:<%s> from %s (HELO %s)\n", i+1, c.title, c.returnPath, c.clientIP, c.helo)
		fmt.Fprintf(stdout, "   Decision: %s.\n", d)
		if d.SPF.Explanation != "" {
			fmt.Fprintf(stdout, "   SPF says: %s\n", d.SPF.Explanation)
		}
		describeMessage(stdout, "DSN", d.DSN)
		describeMessage(stdout, "Postmaster notice", d.Notice)
		switch {
		case d.Reason == policy.ReasonNullSender:
			fmt.Fprintln(stdout, "   No DSN: there is no return path to send one to, and bounces must not loop.")
		case d.Action == policy.Drop:
			fmt.Fprintln(stdout, "   No DSN: the return path is likely forged, and a bounce would hit an innocent party (backscatter).")
		}
		if d.Notice != nil {
			fmt.Fprintln(stdout, "   The postmaster hears of it: a softfail may still be genuine mail, so nothing is lost silently.")
		}
	}
	return demoVacation(stdout, pol, receivedAt)
}

// describeMessage says what a composed message is, read back with
// dsn.Parse to show it is a well-formed report.
func describeMessage(w io.Writer, what string, m *policy.Message) {
	if m == nil {
		return
	}
	fmt.Fprintf(w, "   %s: MAIL FROM:<%s> RCPT TO:<%s>, %d bytes", what, m.MailFrom, m.RcptTo, len(m.Data))
	if r, err := dsn.Parse(bytes.NewReader(m.Data)); err == nil && len(r.Recipients) > 0 {
		rc := r.Recipients[0]
		fmt.Fprintf(w, ", reporting %s %s %s, original returned: %s", rc.FinalRecipient.Addr, rc.Action, rc.Status, r.Returned)
	}
	fmt.Fprintln(w, ".")
}
