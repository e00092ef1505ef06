package policy

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// testNow is the fixed clock of the tests: 5 minutes after receipt.
var (
	receivedAt = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	testNow    = receivedAt.Add(5 * time.Minute)
)

const originalMessage = "Return-Path: <alice@example.org>\r\n" +
	"From: Alice <alice@example.org>\r\n" +
	"To: bob@hosted.example\r\n" +
	"Subject: lunch\r\n" +
	"Message-ID: <lunch-1@example.org>\r\n" +
	"Date: Fri, 27 Nov 2026 09:59:58 +0000\r\n" +
	"\r\n" +
	"Shall we?\r\n"

// fakeChecker answers every SPF check with one result and counts calls.
type fakeChecker struct {
	result spf.Result
	calls  atomic.Int32
}

func (f *fakeChecker) Check(ctx context.Context, ip netip.Addr, helo, sender string) spf.Verdict {
	f.calls.Add(1)
	return spf.Verdict{Result: f.result, Identity: spf.MailFrom, Domain: domainOf(sender), Sender: sender, ClientIP: ip, HELO: helo}
}

// testPolicy is a deterministic policy around checker.
func testPolicy(checker SPFChecker) *Policy {
	return &Policy{
		ReportingMTA: "mx.hosted.example",
		Checker:      checker,
		Now:          func() time.Time { return testNow },
		ComposeOptions: dsn.ComposeOptions{
			Boundary:  "BOUNDARY",
			MessageID: func() string { return "<dsn-1@mx.hosted.example>" },
		},
	}
}

// testEvent is a failure to deliver the original to a missing mailbox.
func testEvent() Event {
	return Event{
		ReturnPath: "alice@example.org",
		ClientIP:   netip.MustParseAddr("192.0.2.10"),
		HELO:       "mail.example.org",
		ReceivedAt: receivedAt,
		Original:   OriginalBytes([]byte(originalMessage)),
		Recipients: []Delivery{{
			Address:     "bob@hosted.example",
			Action:      dsn.ActionFailed,
			Status:      dsn.Status{Class: 5, Subject: 1, Detail: 1},
			Reply:       "550 5.1.1 <bob@hosted.example>: no such user",
			LastAttempt: receivedAt.Add(5 * time.Second),
		}},
	}
}
