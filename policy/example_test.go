package policy_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// sendMail stands for the MTA's own SMTP client. It spools the message
// with WriteTo, which writes a DSN too large to hold as well.
func sendMail(m *policy.Message) {
	var spool bytes.Buffer // the MTA's queue file
	if _, err := m.WriteTo(&spool); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("MAIL FROM:<%s>\nRCPT TO:<%s>\nDATA (%s)\n", m.MailFrom, m.RcptTo, firstLine(spool.Bytes(), "Subject: "))
}

// firstLine returns the first header line of msg starting with prefix.
func firstLine(msg []byte, prefix string) string {
	for line := range strings.SplitSeq(string(msg), "\r\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// An MTA's queue, after the last delivery attempt to a recipient failed,
// asks the policy what to do and sends the DSN it composed.
func ExamplePolicy_Decide() {
	bouncePolicy := &policy.Policy{
		ReportingMTA: "mx.hosted.example",
		Postmaster:   "postmaster@hosted.example",
		// Fixed clock and identifiers, for the example's output.
		Now:            func() time.Time { return time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC) },
		ComposeOptions: dsn.ComposeOptions{Boundary: "b1", MessageID: func() string { return "<dsn-1@mx.hosted.example>" }},
	}
	original := []byte("From: alice@example.org\r\nSubject: lunch\r\nMessage-ID: <m1@example.org>\r\n\r\nShall we?\r\n")

	d, err := bouncePolicy.Decide(context.Background(), policy.Event{
		ReturnPath: "alice@example.org",
		ClientIP:   netip.MustParseAddr("192.0.2.10"),
		HELO:       "mail.example.org",
		ReceivedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		SPF:        spf.Pass, // recorded at receipt
		Original:   policy.OriginalBytes(original),
		Recipients: []policy.Delivery{{
			Address:   "bob@hosted.example",
			Action:    dsn.ActionFailed,
			Reply:     "550 5.1.1 <bob@hosted.example>: no such user",
			RemoteMTA: "mailstore.hosted.example",
		}},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(d)
	switch d.Action {
	case policy.Bounce:
		sendMail(d.DSN)
	case policy.Drop:
		if d.Notice != nil {
			sendMail(d.Notice)
		}
	}
	// Output:
	// bounce (spf-pass): SPF pass for example.org (recorded at receipt): the return path is shown genuine; DSN to <alice@example.org>
	// MAIL FROM:<>
	// RCPT TO:<alice@example.org>
	// DATA (Subject: Undelivered Mail Returned to Sender)
}

// A unit test of an MTA's bounce behaviour, offline: SPF is evaluated
// against a zone resolver, and the DSN is read back with dsn.Parse.
func ExamplePolicy_Decide_unitTest() {
	zone := `
genuine.example. TXT "v=spf1 ip4:192.0.2.10 -all"
bank.example.    TXT "v=spf1 ip4:198.51.100.0/24 -all"
`
	res, err := resolver.NewZone(strings.NewReader(zone), ".")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	p := &policy.Policy{ReportingMTA: "mx.hosted.example", Checker: &spf.Checker{Resolver: res}}

	for _, sender := range []string{"alice@genuine.example", "security@bank.example"} {
		d, err := p.Decide(context.Background(), policy.Event{
			ReturnPath: sender,
			ClientIP:   netip.MustParseAddr("192.0.2.10"),
			HELO:       "mail.genuine.example",
			ReceivedAt: time.Now(),
			Recipients: []policy.Delivery{{Address: "nobody@hosted.example", Status: dsn.Status{Class: 5, Subject: 1, Detail: 1}}},
		})
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s: %s (%s, SPF %s)\n", sender, d.Action, d.Reason, d.SPFSource)
		if d.DSN == nil {
			continue
		}
		report, err := dsn.Parse(bytes.NewReader(d.DSN.Data))
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		rc := report.Recipients[0]
		fmt.Printf("  DSN to <%s>: %s %s %s\n", d.DSN.RcptTo, rc.FinalRecipient.Addr, rc.Action, rc.Status)
	}
	// Output:
	// alice@genuine.example: bounce (spf-pass, SPF evaluated)
	//   DSN to <alice@genuine.example>: nobody@hosted.example failed 5.1.1
	// security@bank.example: drop (spf-fail, SPF evaluated)
}

// A mail filter records SPF at receipt in a Received-SPF field, so that a
// later bounce decision can trust it; and when it finds a recipient
// unknown while the session is still open, it rejects in-session instead
// of bouncing later.
func Example_mailFilter() {
	const us = "mx.hosted.example"
	res, err := resolver.NewZone(strings.NewReader(`example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"`), ".")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	checker := &spf.Checker{Resolver: res, Receiver: us}
	p := &policy.Policy{ReportingMTA: us, NoSPFReevaluation: true, TrustRecordedHeaders: true}
	ip, helo, sender := netip.MustParseAddr("192.0.2.10"), "mail.example.org", "alice@example.org"

	// At MAIL FROM: evaluate, and record the result in the message, above
	// our MTA's own Received field, where no sender can write.
	verdict := checker.Check(context.Background(), ip, helo, sender)
	message := "Received-SPF: " + verdict.ReceivedSPF(us) + "\r\n" +
		"Received: from mail.example.org ([192.0.2.10]) by " + us + "; Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
		"From: alice@example.org\r\nSubject: hi\r\n\r\nHello.\r\n"

	// At RCPT TO: the mailbox does not exist, and the session is open.
	event := policy.Event{
		ReturnPath: sender, ClientIP: ip, HELO: helo, InSession: true,
		Recipients: []policy.Delivery{{Address: "nobody@hosted.example", Reply: "550 5.1.1 no such user"}},
	}
	d, err := p.Decide(context.Background(), event)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("in session:", d.Action, d.Reject)

	// Later, after the session: a delivery fails; the recorded field decides.
	event.InSession = false
	event.Original = policy.OriginalBytes([]byte(message))
	d, err = p.Decide(context.Background(), event)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("after the session:", d.Action, d.Reason, d.SPFSource)
	// Output:
	// in session: reject 550 5.1.1 no such user
	// after the session: bounce spf-pass recorded
}
