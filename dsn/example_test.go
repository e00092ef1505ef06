package dsn_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// Compose a bounce for a recipient a remote MTA refused, returning the
// original's header, and send it with the returned envelope.
func ExampleCompose() {
	status, diagnostic := dsn.StatusFromReply("550 5.1.1 <bob@hosted.example>: no such user", true)
	r := &dsn.Report{
		To:           "alice@example.org", // the original's return path
		ReportingMTA: "mx.hosted.example",
		Recipients: []dsn.Recipient{{
			FinalRecipient: dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"},
			Action:         dsn.ActionFailed,
			Status:         status,
			RemoteMTA:      dsn.MTA{Name: "store.hosted.example"},
			DiagnosticCode: diagnostic,
		}},
	}
	original := strings.NewReader("From: alice@example.org\r\nSubject: Lunch\r\nMessage-ID: <lunch-1@example.org>\r\n\r\nNoon?\r\n")

	var msg bytes.Buffer
	env, err := dsn.Compose(&msg, r, original, dsn.ComposeOptions{Ret: dsn.RetHdrs})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("MAIL FROM:<%s> RCPT TO:<%s>, %s returned\n", env.MailFrom, env.RcptTo, env.Returned)

	m, _ := mail.ReadMessage(&msg)
	fmt.Println(m.Header.Get("Subject"))
	fmt.Println(m.Header.Get("In-Reply-To"))
	// Output:
	// MAIL FROM:<> RCPT TO:<alice@example.org>, headers returned
	// Undelivered Mail Returned to Sender
	// <lunch-1@example.org>
}

// Deterministic output for tests: a fixed clock, Message-ID and boundary.
func ExampleComposeOptions() {
	r := &dsn.Report{
		To:           "alice@example.org",
		ReportingMTA: "mx.hosted.example",
		Recipients: []dsn.Recipient{{
			FinalRecipient: dsn.Address{Addr: "carol@hosted.example"},
			Action:         dsn.ActionDelayed,
			Status:         dsn.Status{Class: 4, Subject: 4, Detail: 1},
			WillRetryUntil: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC),
		}},
	}
	opts := dsn.ComposeOptions{
		Now:       func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) },
		MessageID: func() string { return "dsn-1@mx.hosted.example" },
		Boundary:  "BOUNDARY",
	}
	var msg strings.Builder
	if _, err := dsn.Compose(&msg, r, nil, opts); err != nil {
		fmt.Println(err)
		return
	}
	out := msg.String()
	i := strings.Index(out, "Content-Type: message/delivery-status")
	fmt.Print(strings.ReplaceAll(out[i:], "\r\n", "\n"))
	// Output:
	// Content-Type: message/delivery-status
	//
	// Reporting-MTA: dns; mx.hosted.example
	//
	// Final-Recipient: rfc822; carol@hosted.example
	// Action: delayed
	// Status: 4.4.1
	// Will-Retry-Until: Wed, 02 Dec 2026 10:00:00 +0000
	//
	// --BOUNDARY--
}

// Hostile input never reaches the message: Compose names the field and
// the rule instead.
func ExampleFieldError() {
	r := &dsn.Report{
		To:           "alice@example.org",
		ReportingMTA: "mx.hosted.example",
		Recipients: []dsn.Recipient{{
			FinalRecipient: dsn.Address{Addr: "bob@hosted.example"},
			Action:         dsn.ActionFailed,
			RemoteMTA:      dsn.MTA{Name: "store.hosted.example"},
			DiagnosticCode: "550 no\r\nAction: delivered",
		}},
	}
	_, err := dsn.Compose(io.Discard, r, nil, dsn.ComposeOptions{})
	fmt.Println(err)
	var fe *dsn.FieldError
	if errors.As(err, &fe) {
		fmt.Printf("field %s, rule %q\n", fe.Field, fe.Rule)
	}
	// Output:
	// dsn: invalid field: Recipients[0].DiagnosticCode: control character 0x0d not allowed (RFC 3464 §2.1)
	// field Recipients[0].DiagnosticCode, rule "control character 0x0d not allowed (RFC 3464 §2.1)"
}

func ExampleStatusFromReply() {
	status, diagnostic := dsn.StatusFromReply("452-4.2.2 Mailbox full\r\n452 4.2.2 Try again later", false)
	fmt.Println(status)
	fmt.Println(diagnostic)
	status, _ = dsn.StatusFromReply("550 4.7.1 class does not match", true)
	fmt.Println(status)
	// Output:
	// 4.2.2
	// 452-4.2.2 Mailbox full 452 4.2.2 Try again later
	// 5.0.0
}

func ExampleParseNotify() {
	n, err := dsn.ParseNotify("failure,delay")
	fmt.Println(n, n&dsn.NotifyFailure != 0, err)
	_, err = dsn.ParseNotify("NEVER,FAILURE")
	fmt.Println(err)
	// Output:
	// FAILURE,DELAY true <nil>
	// dsn: invalid field: NOTIFY: NEVER must stand alone (RFC 3461 §4.1)
}

func ExampleParseORCPT() {
	a, _ := dsn.ParseORCPT("rfc822;bob+2Btag@hosted.example")
	fmt.Println(a.Type, a.Addr)
	a, _ = dsn.ParseORCPT(`utf-8;\x{7528}\x{6237}@example.org`)
	fmt.Println(a.Type, a.Addr)
	// Output:
	// rfc822 bob+tag@hosted.example
	// utf-8 用户@example.org
}

func ExampleEncodeXtext() {
	fmt.Println(dsn.EncodeXtext("QQ 314+159"))
	s, _ := dsn.DecodeXtext("QQ+20314+2B159")
	fmt.Println(s)
	// Output:
	// QQ+20314+2B159
	// QQ 314+159
}

// A postmaster notice, or any text of one's own, can end with the summary
// Compose would write by default.
func ExampleSummary() {
	r := &dsn.Report{
		ReportingMTA: "mx.hosted.example",
		Recipients: []dsn.Recipient{{
			FinalRecipient: dsn.Address{Addr: "bob@hosted.example"},
			Action:         dsn.ActionFailed,
			Status:         dsn.Status{Class: 5, Subject: 1, Detail: 1},
			DiagnosticType: "x-local",
			DiagnosticCode: "unknown user",
		}},
	}
	fmt.Print(dsn.Summary(r))
	// Output:
	// This is the mail system at mx.hosted.example.
	//
	// Your message could not be delivered to one or more recipients.
	//
	// <bob@hosted.example>: failed (5.1.1): unknown user
}
