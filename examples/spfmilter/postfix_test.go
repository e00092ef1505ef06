package main

// The tests of this file run the milter in-process on loopback as the
// smtpd_milters of a throwaway Postfix (internal/postfixtest) and check
// what a real Postfix does with its answers: where the inserted fields
// land, which arriving fields go, how a reject and an outage reach the
// SMTP client. They skip where no Postfix can be started.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// postfixZone is the senders' DNS as the Postfix tests see it: Postfix's
// smtpd hands the milter its client, 127.0.0.1, which genuine.example
// designates and forged.example does not; temp.example's DNS fails
// (SERVFAIL).
const postfixZone = `
genuine.example.  TXT "v=spf1 ip4:127.0.0.0/8 -all"
forged.example.   TXT "v=spf1 -all"
temp.example.     TXT "v=spf1 -all"
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
	z.Inject("temp.example", spftest.ServFail)
	return z
}

// withPostfix starts the milter, configured by cfg, on loopback and a
// Postfix instance whose smtpd_milters it is. It skips the test where
// Postfix cannot be started.
func withPostfix(t *testing.T, cfg config, pcfg postfixtest.Config) (*postfixtest.Instance, *e2etest.Log) {
	t.Helper()
	postfixtest.Available(t)
	addr, log := startMilter(t, cfg, postfixZoneResolver(t))
	pcfg.SMTPDMilters = []string{"inet:" + addr}
	return postfixtest.Start(t, pcfg), log
}

// serveMilterOn serves the milter on ln until the test ends: for a milter
// started after Postfix, at the address Postfix was told.
func serveMilterOn(t *testing.T, ln net.Listener, cfg config) *e2etest.Log {
	t.Helper()
	var log e2etest.Log
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

// waitLog waits until Postfix's log, which postlogd writes as it comes,
// has s n times.
func waitLog(ctx context.Context, t *testing.T, pf *postfixtest.Instance, s string, n int) {
	t.Helper()
	for strings.Count(pf.Log(), s) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("not %d× %q in the log: %v\n%s", n, s, ctx.Err(), pf.Log())
		case <-time.After(20 * time.Millisecond):
		}
	}
	assert.Equal(t, n, strings.Count(pf.Log(), s), pf.Log())
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

// TestPostfixDeletesPlantedFields: a forged sender's message carrying a
// Received-SPF pass with receiver= us and an Authentication-Results with
// our authserv-id, sent by swaks and by go-smtp, reaches the mailbox with
// only our fields of those names (and another host's, untouched); the
// decision takes our fail, never the planted pass.
func TestPostfixDeletesPlantedFields(t *testing.T) {
	ctx := postfixContext(t)
	pf, log := withPostfix(t, testConfig(nil), postfixtest.Config{})
	const othersAR = "mx.other.example; spf=pass smtp.mailfrom=forged.example"

	out, err := pf.Swaks(ctx, "--from", forged, "--to", localUser, "--header", "Subject: planted-swaks",
		"--add-header", "Received-SPF: "+plantedRS, "--add-header", "Authentication-Results: "+plantedAR,
		"--add-header", "Authentication-Results: "+othersAR)
	require.NoError(t, err, out)
	require.NoError(t, pf.Send(ctx, forged, []string{localUser}, testMessage(forged, "planted-gosmtp",
		"Received-SPF: "+plantedRS, "Authentication-Results: "+plantedAR, "Authentication-Results: "+othersAR)))

	for _, marker := range []string{"Subject: planted-swaks", "planted-gosmtp@test.example"} {
		msg := delivered(ctx, t, pf, marker)
		fields := headerFields(t, msg)
		rcvd := indexOf(fields, "Received")
		require.NotEqual(t, -1, rcvd, marker)
		rs := named(fields, receivedSPF)
		require.Len(t, rs, 1, "%s: only our Received-SPF: %q", marker, fields)
		assert.True(t, strings.HasPrefix(rs[0], "fail ("+ourID+": "), "%s: ours, fail: %q", marker, rs[0])
		assert.Equal(t, []string{ourID + "; spf=fail smtp.mailfrom=forged.example", othersAR}, named(fields, authResults),
			"%s: ours on top; another host's is not ours to delete", marker)
		assert.Less(t, indexOf(fields, receivedSPF), rcvd, marker)
		assert.NotContains(t, string(msg), "spf=pass smtp.mailfrom="+forged, marker)
		assert.NotContains(t, string(msg), "receiver="+ourID+"; client-ip=127.0.0.1; helo=", marker)

		d := decide(t, forged, msg)
		assert.Equal(t, policy.SourceRecorded, d.SPFSource, marker)
		assert.Equal(t, spf.Fail, d.SPF.Result, marker)
		assert.Equal(t, policy.Drop, d.Action, marker)
		assert.Nil(t, d.DSN, marker)
	}
	assert.Equal(t, 2, strings.Count(log.String(), `deleted="Received-SPF#1 (receiver= names us), Authentication-Results#1 (authserv-id is ours)"`), log.String())
}

// TestPostfixRejectsFail: with -reject-fail Postfix relays the milter's
// 550 5.7.23 to the SMTP client at MAIL FROM for the forged sender, and
// delivers nothing; the genuine sender's message still goes through.
func TestPostfixRejectsFail(t *testing.T) {
	ctx := postfixContext(t)
	pf, _ := withPostfix(t, testConfig(func(c *config) { c.rejectFail = true }), postfixtest.Config{})

	err := pf.Send(ctx, forged, []string{localUser}, testMessage(forged, "rejected"))
	var se *smtp.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 550, se.Code, se.Error())
	assert.Equal(t, smtp.EnhancedCode{5, 7, 23}, se.EnhancedCode, se.Error())
	assert.Contains(t, se.Message, "forged.example does not designate 127.0.0.1 as permitted sender", "the explanation")

	out, err := pf.Swaks(ctx, "--from", forged, "--to", localUser, "--header", "Subject: rejected-swaks")
	require.Error(t, err)
	assert.Regexp(t, `(?m)^ -> MAIL FROM:<`+regexp.QuoteMeta(forged)+`>\r?\n<\*\* +550 5\.7\.23 `, out, "refused at MAIL FROM")

	require.NoError(t, pf.Send(ctx, genuine, []string{localUser}, testMessage(genuine, "accepted")))
	delivered(ctx, t, pf, "accepted@test.example")
	require.NoError(t, pf.WaitQueueEmpty(ctx))
	assert.NotContains(t, pf.Mailbox("user"), "rejected")
	waitLog(ctx, t, pf, "milter-reject: MAIL from", 2)
}

// TestPostfixTempfailsTemperror: with -tempfail-temperror Postfix relays
// the milter's 451 4.7.24 at MAIL FROM when the sender's DNS fails, and
// accepts nothing; without it the message is accepted and temperror
// recorded.
func TestPostfixTempfailsTemperror(t *testing.T) {
	const sender = "carol@temp.example"
	ctx := postfixContext(t)
	pf, _ := withPostfix(t, testConfig(func(c *config) { c.tempfailTemperror = true }), postfixtest.Config{})
	err := pf.Send(ctx, sender, []string{localUser}, testMessage(sender, "temperror"))
	var se *smtp.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 451, se.Code, se.Error())
	assert.Equal(t, smtp.EnhancedCode{4, 7, 24}, se.EnhancedCode, se.Error())
	waitLog(ctx, t, pf, "milter-reject: MAIL from", 1)
	q, err := pf.Queue(ctx)
	require.NoError(t, err)
	assert.Empty(t, q)

	pf, _ = withPostfix(t, testConfig(nil), postfixtest.Config{})
	require.NoError(t, pf.Send(ctx, sender, []string{localUser}, testMessage(sender, "temperror")))
	rs := named(headerFields(t, delivered(ctx, t, pf, "temperror@test.example")), receivedSPF)
	require.Len(t, rs, 1)
	assert.True(t, strings.HasPrefix(rs[0], "temperror ("+ourID+": "), rs[0])
}

// TestPostfixMilterDown: with the milter down, milter_default_action =
// tempfail makes Postfix answer 451 4.7.1 and accept nothing, while
// accept lets the message in unmarked with the planted field intact (the
// README's reason for tempfail). Once the milter is up, the same send is
// accepted and marked, the planted field gone.
func TestPostfixMilterDown(t *testing.T) {
	planted := func(id string) []byte {
		return testMessage(forged, id, "Received-SPF: "+plantedRS, "Authentication-Results: "+plantedAR)
	}
	t.Run("tempfail", func(t *testing.T) {
		ctx := postfixContext(t)
		ln := reservePort(t)
		pf := postfixtest.Start(t, postfixtest.Config{SMTPDMilters: []string{"inet:" + ln.Addr().String()}, MilterDefaultAction: "tempfail"})
		addr := ln.Addr().String()
		require.NoError(t, ln.Close()) // down

		err := pf.Send(ctx, forged, []string{localUser}, planted("down"))
		var se *smtp.SMTPError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 451, se.Code, se.Error())
		assert.Equal(t, smtp.EnhancedCode{4, 7, 1}, se.EnhancedCode, se.Error())
		// Postfix gives the milter's failure at MAIL FROM, as it delays
		// its own rejects.
		waitLog(ctx, t, pf, "milter-reject: MAIL from localhost[127.0.0.1]: 451 4.7.1 ", 1)
		q, err := pf.Queue(ctx)
		require.NoError(t, err)
		assert.Empty(t, q, "nothing accepted")
		assert.Empty(t, pf.Mailbox("user"))

		up(ctx, t, pf, addr, planted)
	})
	t.Run("accept", func(t *testing.T) {
		ctx := postfixContext(t)
		ln := reservePort(t)
		pf := postfixtest.Start(t, postfixtest.Config{SMTPDMilters: []string{"inet:" + ln.Addr().String()}, MilterDefaultAction: "accept"})
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())

		require.NoError(t, pf.Send(ctx, forged, []string{localUser}, planted("down")))
		msg := delivered(ctx, t, pf, "down@test.example")
		waitLog(ctx, t, pf, "warning: connect to Milter service inet:"+addr+": Connection refused", 1)
		fields := headerFields(t, msg)
		assert.Equal(t, []string{plantedRS}, named(fields, receivedSPF), "the planted field survives, naming us")
		assert.Equal(t, []string{plantedAR}, named(fields, authResults))
		// It is below Postfix's Received, where the trust walk does not
		// look: Decide evaluates SPF anew. A reader that does not walk
		// the header in order would take the planted pass.
		assert.Greater(t, indexOf(fields, receivedSPF), indexOf(fields, "Received"))
		d := decide(t, forged, msg)
		assert.Equal(t, policy.SourceEvaluated, d.SPFSource)
		assert.Equal(t, spf.Fail, d.SPF.Result)

		up(ctx, t, pf, addr, planted)
	})
}

// up starts the milter at addr, where Postfix looks for it, and sends
// the planted message again: it is accepted and marked, the planted
// fields gone.
func up(ctx context.Context, t *testing.T, pf *postfixtest.Instance, addr string, planted func(string) []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	log := serveMilterOn(t, ln, testConfig(nil))
	require.NoError(t, pf.Send(ctx, forged, []string{localUser}, planted("up")))
	msg := delivered(ctx, t, pf, "up@test.example")
	fields := headerFields(t, msg)
	rs := named(fields, receivedSPF)
	require.Len(t, rs, 1, "%q", fields)
	assert.True(t, strings.HasPrefix(rs[0], "fail ("+ourID+": "), rs[0])
	assert.Equal(t, []string{ourID + "; spf=fail smtp.mailfrom=forged.example"}, named(fields, authResults))
	d := decide(t, forged, msg)
	assert.Equal(t, policy.SourceRecorded, d.SPFSource)
	assert.Equal(t, spf.Fail, d.SPF.Result)
	assert.Contains(t, log.String(), "action=record result=fail")
	require.NoError(t, pf.WaitQueueEmpty(ctx))
}

// reservePort takes a free loopback port for a milter that is not yet
// (or no longer) there; the caller closes it.
func reservePort(t *testing.T) net.Listener {
	t.Helper()
	postfixtest.Available(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// TestPostfixDeletesByIndex: the milter deletes by the per-name index of
// SMFIR_CHGHEADER. Against Postfix's own numbering, with several planted
// fields of each name, names in other cases and another host's fields
// between them, exactly the ones claiming us go and the others stay, in
// order.
func TestPostfixDeletesByIndex(t *testing.T) {
	ctx := postfixContext(t)
	pf, _ := withPostfix(t, testConfig(nil), postfixtest.Config{})
	const (
		othersRS = "pass (mx.other.example: domain of " + forged + " designates 127.0.0.1 as permitted sender) receiver=mx.other.example; identity=mailfrom"
		othersAR = "mx.other.example; spf=pass smtp.mailfrom=forged.example"
	)
	require.NoError(t, pf.Send(ctx, forged, []string{localUser}, testMessage(forged, "by-index",
		"received-spf: "+plantedRS,
		"Received-SPF: "+othersRS,
		"AUTHENTICATION-RESULTS: "+plantedAR,
		"Authentication-Results: "+othersAR,
		"Received-Spf: "+plantedRS,
		"Authentication-Results: "+ourID+"; dkim=pass header.d=forged.example",
		"Received-SPF: "+othersRS+"; x=2",
		// Folded: Postfix hands the milter the value with its line breaks.
		"Received-SPF: pass\r\n\treceiver="+ourID+";\r\n identity=mailfrom; envelope-from="+forged,
		"Authentication-Results:\r\n  "+ourID+";\r\n\tspf=pass smtp.mailfrom=forged.example",
		// White space before the colon (RFC 5322 §4.5.8, obsolete): Postfix
		// hands the milter the bare name.
		"Received-SPF : "+plantedRS,
		"Authentication-Results\t: "+plantedAR,
	)))
	fields := headerFields(t, delivered(ctx, t, pf, "by-index@test.example"))
	rs := named(fields, receivedSPF)
	require.Len(t, rs, 3, "%q", fields)
	assert.True(t, strings.HasPrefix(rs[0], "fail ("+ourID+": "), rs[0])
	assert.Equal(t, []string{othersRS, othersRS + "; x=2"}, rs[1:])
	assert.Equal(t, []string{ourID + "; spf=fail smtp.mailfrom=forged.example", othersAR}, named(fields, authResults))
}

// TestPostfixTransactionsOnOneConnection: each transaction of an SMTP
// connection gets the verdict on its own return path; nothing carries
// over from the one before.
func TestPostfixTransactionsOnOneConnection(t *testing.T) {
	ctx := postfixContext(t)
	pf, _ := withPostfix(t, testConfig(nil), postfixtest.Config{})
	c, err := smtp.Dial(pf.SMTPAddr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(clientHELO))
	senders := []string{genuine, forged, genuine, forged}
	for i, from := range senders {
		require.NoError(t, c.SendMail(from, []string{localUser}, strings.NewReader(string(testMessage(from, fmt.Sprint("conn", i))))))
	}
	// A transaction abandoned after RCPT (RSET) leaves nothing behind.
	require.NoError(t, c.Mail(forged, nil))
	require.NoError(t, c.Rcpt(localUser, nil))
	require.NoError(t, c.Reset())
	require.NoError(t, c.SendMail(genuine, []string{localUser}, strings.NewReader(string(testMessage(genuine, "conn-after-rset")))))
	require.NoError(t, c.Quit())

	for i, from := range append(senders, genuine) {
		id := fmt.Sprint("conn", i)
		if i == len(senders) {
			id = "conn-after-rset"
		}
		msg := delivered(ctx, t, pf, id+"@test.example")
		rs := named(headerFields(t, msg), receivedSPF)
		require.Len(t, rs, 1, id)
		v, _, err := spf.ParseReceivedSPF(rs[0])
		require.NoError(t, err, id)
		assert.Equal(t, from, v.Sender, id)
		d := decide(t, from, msg)
		assert.Equal(t, policy.SourceRecorded, d.SPFSource, id)
		assert.Equal(t, map[string]spf.Result{genuine: spf.Pass, forged: spf.Fail}[from], d.SPF.Result, id)
	}
}
