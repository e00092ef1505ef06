package main

// The tests of this file run the milter in-process on loopback as the
// smtpd_milters of a throwaway Postfix (internal/postfixtest) and check
// what a real Postfix does with its answers: where the inserted fields
// land, which arriving fields go, how a reject and an outage reach the
// SMTP client. They skip where no Postfix can be started.

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// postfixZone is the senders' DNS as the Postfix tests see it: Postfix's
// smtpd hands the milter its client, 127.0.0.1, which genuine.example
// designates and forged.example does not.
const postfixZone = `
genuine.example.  TXT "v=spf1 ip4:127.0.0.0/8 -all"
forged.example.   TXT "v=spf1 -all"
`

const (
	genuine = "alice@genuine.example"
	forged  = "mallory@forged.example"
	// localUser is the instance's one mailbox (postfixtest.DefaultUser).
	localUser = "user@hosted.example"
	// clientHELO is the EHLO name postfixtest's senders give.
	clientHELO = "client.example.org"
)

// The fields a sender plants to pass as our record of a pass: a
// Received-SPF whose receiver= is us and an Authentication-Results with
// our authserv-id (RFC 8601 §5 says to delete both).
const (
	plantedRS = "pass (" + ourID + ": domain of " + forged + " designates 127.0.0.1 as permitted sender) receiver=" + ourID +
		"; client-ip=127.0.0.1; helo=" + clientHELO + "; envelope-from=" + forged + "; identity=mailfrom"
	plantedAR = ourID + "; spf=pass smtp.mailfrom=" + forged
)

func postfixZoneResolver(t *testing.T) *spftest.Zone {
	z, err := spftest.NewZone(strings.NewReader(postfixZone), ".")
	require.NoError(t, err)
	return z
}

// withPostfix starts the milter, configured by cfg, on loopback and a
// Postfix instance whose smtpd_milters it is. It skips the test where
// Postfix cannot be started.
func withPostfix(t *testing.T, cfg config, pcfg postfixtest.Config) (*postfixtest.Instance, *syncBuffer) {
	t.Helper()
	postfixtest.Available(t)
	addr, log := startMilter(t, cfg, postfixZoneResolver(t))
	pcfg.SMTPDMilters = []string{"inet:" + addr}
	return postfixtest.Start(t, pcfg), log
}

// serveMilterOn serves the milter on ln until the test ends: for a milter
// started after Postfix, at the address Postfix was told.
func serveMilterOn(t *testing.T, ln net.Listener, cfg config) *syncBuffer {
	t.Helper()
	var log syncBuffer
	f := newFilterWith(cfg, postfixZoneResolver(t), slog.New(slog.NewTextHandler(&log, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, f, shutdownGrace) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return &log
}

func postfixContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testMessage is a message from from to the local user, known by its
// Message-ID id, with the extra header fields on top.
func testMessage(from, id string, extra ...string) []byte {
	var b strings.Builder
	for _, f := range extra {
		b.WriteString(f + "\r\n")
	}
	b.WriteString("From: <" + from + ">\r\n" +
		"To: <" + localUser + ">\r\n" +
		"Subject: " + id + "\r\n" +
		"Message-ID: <" + id + "@test.example>\r\n" +
		"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n" +
		"\r\n" +
		"Hello.\r\n")
	return []byte(b.String())
}

// delivered waits for the message whose header holds marker in the local
// user's mailbox and returns it as local(8) wrote it, without the mbox
// "From " line, with CRLF line ends.
func delivered(ctx context.Context, t *testing.T, pf *postfixtest.Instance, marker string) []byte {
	t.Helper()
	for {
		for _, m := range mboxMessages(pf.Mailbox("user")) {
			if head, _, _ := strings.Cut(m, "\n\n"); strings.Contains(head, marker) {
				return []byte(strings.ReplaceAll(m, "\n", "\r\n"))
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no delivery of %q: %v\n%s", marker, ctx.Err(), pf.Log())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// mboxStart is the "From " line that starts each message of an mbox.
var mboxStart = regexp.MustCompile(`(?m)^From [^\n]*\n`)

// mboxMessages splits an mbox into its messages.
func mboxMessages(mbox string) []string {
	var msgs []string
	for _, m := range mboxStart.Split(mbox, -1) {
		if m != "" {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// headerFields reads the header of msg, in order.
func headerFields(t *testing.T, msg []byte) []field {
	t.Helper()
	head, _, ok := strings.Cut(string(msg), "\r\n\r\n")
	require.True(t, ok, "no end of header: %q", msg)
	var fields []field
	for _, line := range strings.Split(head, "\r\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			require.NotEmpty(t, fields, "continuation first: %q", head)
			fields[len(fields)-1].value += "\r\n" + line
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		require.True(t, ok, "not a field: %q", line)
		fields = append(fields, field{name, strings.TrimLeft(value, " ")})
	}
	return fields
}

// named returns the values of the fields called name.
func named(fields []field, name string) []string {
	var values []string
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			values = append(values, f.value)
		}
	}
	return values
}

// indexOf is the position of the first field called name, or -1.
func indexOf(fields []field, name string) int {
	for i, f := range fields {
		if strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// decide runs the bounce decision on msg, delivered from from, as the
// bounce of it to an unknown user would: with the recorded header trusted
// under our authserv-id, and SPF evaluated from the same DNS when the
// walk finds no record.
func decide(t *testing.T, from string, msg []byte) policy.Decision {
	t.Helper()
	p := &policy.Policy{
		ReportingMTA:         ourID,
		AuthservID:           ourID,
		TrustRecordedHeaders: true,
		Resolver:             postfixZoneResolver(t),
		NoticeOn:             []policy.Reason{},
		Logger:               slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	now := time.Now()
	d, err := p.Decide(context.Background(), policy.Event{
		ReturnPath: from,
		ClientIP:   netip.MustParseAddr("127.0.0.1"),
		HELO:       clientHELO,
		ReceivedAt: now,
		Original:   policy.OriginalBytes(msg),
		Recipients: []policy.Delivery{{
			Address:     "nosuchuser@hosted.example",
			Action:      dsn.ActionFailed,
			Status:      dsn.Status{Class: 5, Subject: 1, Detail: 1},
			Diagnostic:  "x-local; unknown user",
			LastAttempt: now,
		}},
	})
	require.NoError(t, err)
	return d
}

// TestPostfixRecordsAboveReceived: Postfix delivers the message with our
// Received-SPF and Authentication-Results above its own Received field,
// where the bounce-time trust walk looks, and the decision on the
// delivered message takes that record: pass for the genuine sender
// (bounce), fail for the forged one (drop), never evaluated anew.
func TestPostfixRecordsAboveReceived(t *testing.T) {
	ctx := postfixContext(t)
	pf, log := withPostfix(t, testConfig(nil), postfixtest.Config{})
	tests := []struct {
		from   string
		result spf.Result
		action policy.Outcome
	}{
		{genuine, spf.Pass, policy.Bounce},
		{forged, spf.Fail, policy.Drop},
	}
	for _, tt := range tests {
		id := "recorded-" + string(tt.result)
		require.NoError(t, pf.Send(ctx, tt.from, []string{localUser}, testMessage(tt.from, id)))
		msg := delivered(ctx, t, pf, id+"@test.example")
		fields := headerFields(t, msg)
		t.Logf("%s: delivered header: %q", tt.from, fields)

		rs, ar, rcvd := indexOf(fields, receivedSPF), indexOf(fields, authResults), indexOf(fields, "Received")
		require.NotEqual(t, -1, rcvd)
		assert.Equal(t, ourID, mailsyntax.ReceivedBy(fields[rcvd].value), "the topmost Received is Postfix's")
		assert.True(t, rs >= 0 && rs < rcvd, "Received-SPF above Postfix's Received: %q", fields)
		assert.True(t, ar >= 0 && ar < rcvd, "Authentication-Results above Postfix's Received: %q", fields)
		require.Len(t, named(fields, receivedSPF), 1)
		require.Len(t, named(fields, authResults), 1)
		v, receiver, err := spf.ParseReceivedSPF(fields[rs].value)
		require.NoError(t, err)
		assert.Equal(t, ourID, receiver)
		assert.Equal(t, tt.result, v.Result)
		assert.Equal(t, tt.from, v.Sender)
		assert.Equal(t, "127.0.0.1", v.ClientIP.String())

		d := decide(t, tt.from, msg)
		assert.Equal(t, policy.SourceRecorded, d.SPFSource, "the verdict is the one recorded at receipt")
		assert.Equal(t, tt.result, d.SPF.Result)
		assert.Equal(t, tt.action, d.Action, d.Reason)
	}
	assert.Contains(t, log.String(), "action=record result=pass")
	assert.Contains(t, log.String(), "action=record result=fail")
}
