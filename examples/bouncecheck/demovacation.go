package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/bouncepolicy/bouncepolicy/policy"
)

// vacationCases are the messages of the demo's vacation story, in the
// order they arrive.
var vacationCases = []demoCase{
	{"A genuine colleague", "alice@genuine.example", "192.0.2.10", "mail.genuine.example", "vacation-colleague.eml"},
	{"The same colleague again, within the week", "alice@genuine.example", "192.0.2.10", "mail.genuine.example", "vacation-again.eml"},
	{"A forged sender (spam claiming to be shop.example)", "security@shop.example", "203.0.113.66", "shop.example", "vacation-forged.eml"},
	{"A mailing list", "staff-bounces@genuine.example", "192.0.2.10", "mail.genuine.example", "vacation-list.eml"},
}

// demoVacation tells the second story of the demo: bob is away, and only
// genuine, personal mail gets his auto-reply, once a week per sender.
func demoVacation(stdout io.Writer, pol *policy.Policy, receivedAt time.Time) error {
	fmt.Fprintln(stdout, "\nbob@hosted.example is on vacation, with an auto-reply. An auto-reply to a forged")
	fmt.Fprintln(stdout, "sender is backscatter too: it takes the same SPF gate, and goes to each sender once")
	fmt.Fprintln(stdout, "a week at most, never to lists or mail software (RFC 3834, RFC 5230).")
	for i, c := range vacationCases {
		msg, err := demoFiles.ReadFile("demo/" + c.message)
		if err != nil {
			return err
		}
		d, err := pol.DecideReply(context.Background(), policy.ReplyEvent{
			ReturnPath: c.returnPath,
			ClientIP:   netip.MustParseAddr(c.clientIP),
			HELO:       c.helo,
			ReceivedAt: receivedAt,
			Addresses:  []string{"bob@hosted.example"},
			Text:       "I am away until Monday 7 December, and will read your message then.\n",
			Original:   policy.OriginalBytes(msg),
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%d. %s: MAIL FROM:<%s> from %s (HELO %s)\n", i+1, c.title, c.returnPath, c.clientIP, c.helo)
		fmt.Fprintf(stdout, "   Decision: %s.\n", d)
		if m := d.Reply; m != nil {
			fmt.Fprintf(stdout, "   Auto-reply: MAIL FROM:<%s> RCPT TO:<%s>, %d bytes, Auto-Submitted: auto-replied.\n", m.MailFrom, m.RcptTo, m.Size)
		}
	}
	return nil
}
