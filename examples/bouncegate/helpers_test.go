package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// ourHost is the MTA's name: Postfix's myhostname in the end-to-end tests.
const ourHost = "mx.hosted.example"

// testZone is the DNS of the tests. The MTA's clients connect from
// 127.0.0.1: genuine.example's mail comes from there, forged.example
// sends from nowhere, temp.example's DNS fails (newTestZone).
const testZone = `
genuine.example.  TXT "v=spf1 ip4:127.0.0.1 -all"
forged.example.   TXT "v=spf1 -all"
temp.example.     TXT "v=spf1 -all"
`

const (
	genuine = "alice@genuine.example"
	forged  = "mallory@forged.example"
)

// newTestZone returns the test DNS, temp.example failing with SERVFAIL.
func newTestZone(t testing.TB) *spftest.Zone {
	z, err := spftest.NewZone(strings.NewReader(testZone), ".")
	require.NoError(t, err)
	z.Inject("temp.example", spftest.ServFail)
	return z
}

// testConfig is the configuration of the tests, relaying to nextHop.
func testConfig(nextHop string) config {
	return config{listen: "127.0.0.1:0", nextHop: nextHop, hostname: ourHost, timeout: 5 * time.Second,
		maxSize: defaultMaxSize, maxSessions: defaultMaxSessions}
}

// startGate serves a gate for cfg on a loopback port until the test ends,
// with DNS from r; change, if given, alters its policy. It returns the
// gate's address and its log.
func startGate(t testing.TB, cfg config, r spf.Resolver, change func(*policy.Policy)) (string, *e2etest.Log) {
	t.Helper()
	ln, err := net.Listen("tcp", cfg.listen)
	require.NoError(t, err)
	var log e2etest.Log
	t.Cleanup(runGate(t, ln, cfg, r, change, &log))
	return ln.Addr().String(), &log
}

// runGate serves a gate for cfg on ln, logging to log, until the
// function it returns is called.
func runGate(t testing.TB, ln net.Listener, cfg config, r spf.Resolver, change func(*policy.Policy), log *e2etest.Log) (stop func()) {
	t.Helper()
	g, err := newGateWith(cfg, r, slog.New(slog.NewTextHandler(log, nil)))
	require.NoError(t, err)
	if change != nil {
		change(g.pol)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, g, time.Second) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
}

// postfixDSN is a DSN as Postfix writes it for a local failure, to
// sender, of a message received from a client at 127.0.0.1 that said
// HELO client.example.org: no Received-From-MTA, the client in our own
// Received field.
func postfixDSN(sender, id string) []byte {
	date := time.Now().UTC().Format(time.RFC1123Z)
	s := `From: MAILER-DAEMON@mx.hosted.example (Mail Delivery System)
To: ` + sender + `
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

<nosuchuser@hosted.example>: unknown user: "nosuchuser"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hosted.example
X-Postfix-Queue-ID: 4QxYz1XyZ0z1P
X-Postfix-Sender: rfc822; ` + sender + `
Arrival-Date: ` + date + `

Final-Recipient: rfc822; nosuchuser@hosted.example
Original-Recipient: rfc822;nosuchuser@hosted.example
Action: failed
Status: 5.1.1
Diagnostic-Code: X-Postfix; unknown user: "nosuchuser"

--B
Content-Type: text/rfc822-headers

Received: from client.example.org (localhost [127.0.0.1])
	by mx.hosted.example (Postfix) with ESMTP id 4QxYz1XyZ0z1P
	for <nosuchuser@hosted.example>; ` + date + `
From: <` + sender + `>
Subject: test ` + id + `
Message-ID: <` + id + `@example.org>

--B--
`
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// plainMessage is a message that is no DSN.
func plainMessage(id string) []byte {
	return []byte("From: <" + genuine + ">\r\nSubject: test " + id + "\r\nMessage-ID: <" + id + "@example.org>\r\n\r\nHello.\r\n")
}

// tx is one SMTP transaction a test makes.
type tx struct {
	from string
	to   []string
	mail *smtp.MailOptions
	rcpt *smtp.RcptOptions
	data []byte
}

// send makes the transaction on a new session with the gate at addr.
// Its error is the first refusal, an *smtp.SMTPError.
func send(t testing.TB, addr string, x tx) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello("mx.hosted.example"))
	if err := c.Mail(x.from, x.mail); err != nil {
		return err
	}
	for _, to := range x.to {
		if err := c.Rcpt(to, x.rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(x.data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// code is the reply code of err, 250 for nil, 0 for no reply.
func code(err error) int {
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return 250
	case errors.As(err, &se):
		return se.Code
	}
	return 0
}

// replyOf is err as "451 4.4.3 text", "250" for nil.
func replyOf(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	}
	if err == nil {
		return "250"
	}
	return err.Error()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return ln.Addr().String()
}
