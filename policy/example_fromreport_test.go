package policy_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// postfixDSN is a DSN as Postfix writes it for a local failure: no
// Received-From-MTA, the client in our own Received field.
const postfixDSN = `From: MAILER-DAEMON@mx.hosted.example (Mail Delivery System)
To: alice@example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

<bob@hosted.example>: unknown user: "bob"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hosted.example
X-Postfix-Queue-ID: 4QxYz1XyZ0z1P
X-Postfix-Sender: rfc822; alice@example.org
Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; bob@hosted.example
Original-Recipient: rfc822;bob@hosted.example
Action: failed
Status: 5.1.1
Diagnostic-Code: X-Postfix; unknown user: "bob"

--B
Content-Type: text/rfc822-headers

Received: from mail.example.org (mail.example.org [192.0.2.10])
	by mx.hosted.example (Postfix) with ESMTPS id 4QxYz1XyZ0z1P
	for <bob@hosted.example>; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)
From: Alice <alice@example.org>
Subject: lunch
Message-ID: <lunch-1@example.org>

--B--
`

// A bounce milter sees the DSN Postfix composed on its way out, rebuilds
// the failed delivery it reports on, and lets it go only when the policy
// would bounce: here SPF on the client of our own Received field passes.
func ExamplePolicy_EventFromReport() {
	zone, _ := resolver.NewZone(strings.NewReader(`example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"`), ".")
	bouncePolicy := &policy.Policy{
		ReportingMTA: "mx.hosted.example",
		Resolver:     zone,
		Now:          func() time.Time { return time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC) },
	}
	report, err := dsn.Parse(strings.NewReader(postfixDSN))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	// The DSN's envelope recipient, as the milter got it in RCPT TO.
	ev, err := bouncePolicy.EventFromReport(report, "alice@example.org")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("client:", ev.ClientIP, ev.HELO)
	fmt.Println("recipient:", ev.Recipients[0].Address, ev.Recipients[0].Diagnostic)
	d, err := bouncePolicy.Decide(context.Background(), ev)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(d.Action, d.Reason)
	// Output:
	// client: 192.0.2.10 mail.example.org
	// recipient: bob@hosted.example x-postfix; unknown user: "bob"
	// bounce spf-pass
}
