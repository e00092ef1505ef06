package deliver_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// An MTA's queue sends the DSN policy.Decide composed, and learns from the
// error whether to keep it for a later try or to give up. Here the return
// path's domain publishes a null MX (RFC 7505): it accepts no mail, and
// the DSN can never be delivered.
func ExampleClient_SendMessage() {
	zone, err := resolver.NewZone(strings.NewReader("example.org. 300 MX 0 .\n"), ".")
	if err != nil {
		fmt.Println(err)
		return
	}
	bouncePolicy := &policy.Policy{ReportingMTA: "mx.hosted.example", Postmaster: "postmaster@hosted.example"}
	d, err := bouncePolicy.Decide(context.Background(), policy.Event{
		ReturnPath: "alice@example.org",
		ClientIP:   netip.MustParseAddr("192.0.2.10"),
		HELO:       "mail.example.org",
		ReceivedAt: time.Now(),
		SPF:        spf.Pass, // recorded at receipt
		Original:   policy.OriginalBytes([]byte("From: alice@example.org\r\nSubject: lunch\r\n\r\nShall we?\r\n")),
		Recipients: []policy.Delivery{{
			Address: "bob@hosted.example",
			Action:  dsn.ActionFailed,
			Reply:   "550 5.1.1 <bob@hosted.example>: no such user",
		}},
	})
	if err != nil || d.Action != policy.Bounce {
		fmt.Println(d, err)
		return
	}

	client := &deliver.Client{Resolver: zone, HELO: "mx.hosted.example"}
	err = client.SendMessage(context.Background(), d.DSN)
	var failures deliver.Errors
	switch {
	case err == nil:
		fmt.Println("sent")
	case errors.Is(err, deliver.ErrTemporary):
		fmt.Println("keep it queued, try again later:", err)
	case errors.As(err, &failures):
		for _, f := range failures {
			fmt.Printf("give up on %v: %s %s\n", f.Recipients, f.EnhancedCode, f.Text)
		}
	default:
		fmt.Println("not sent:", err) // an invalid client or message
	}
	// Output:
	// give up on [alice@example.org]: 5.1.10 domain example.org accepts no mail (null MX, RFC 7505)
}

// A gate relays everything to one next hop, in one transaction, with the
// DSN parameters it received.
func ExampleClient_Send() {
	client := &deliver.Client{NextHop: "[192.0.2.25]:25", HELO: "gate.example.net", Timeout: time.Minute}
	env := deliver.Envelope{
		From:  "alice@example.org",
		Ret:   dsn.RetHdrs,
		EnvID: "q-271828",
		To: []deliver.Recipient{
			{Addr: "bob@example.net", Notify: dsn.NotifyFailure},
			{Addr: "carol@example.com", ORCPT: dsn.Address{Type: "rfc822", Addr: "carol@old.example.com"}},
		},
	}
	msg := strings.NewReader("From: alice@example.org\r\nSubject: hello\r\n\r\nHi.\r\n")
	if err := client.Send(context.Background(), env, msg); err != nil {
		var failures deliver.Errors
		errors.As(err, &failures)
		for _, f := range failures {
			fmt.Println(f.Recipients, f.Temporary, f.Reply())
		}
	}
}
