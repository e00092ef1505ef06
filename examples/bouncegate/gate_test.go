package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A DSN to a genuine sender (SPF pass from the client in our Received
// field) is relayed as the MTA wrote it, from <> to the return path.
func TestBounceRelaysTheMTAsDSN(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, log := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	data := postfixDSN(genuine, "bounce")
	require.NoError(t, send(t, addr, tx{from: "", to: []string{genuine}, data: data}), log.String())

	msgs := sink.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "", msgs[0].From)
	assert.Equal(t, genuine, msgs[0].To[0].Addr)
	assert.Equal(t, data, msgs[0].Data, "the MTA's DSN, byte for byte")
	assert.Contains(t, log.String(), "msg=bounced")
	assert.Contains(t, log.String(), "reason=spf-pass")
}

// A DSN to a forged sender (SPF fail) is answered 250 and goes nowhere;
// the drop is logged with its reason.
func TestDropForgedWithoutNotice(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, log := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	require.NoError(t, send(t, addr, tx{to: []string{forged}, data: postfixDSN(forged, "forged")}))
	assert.Empty(t, sink.Messages())
	assert.Contains(t, log.String(), "msg=dropped")
	assert.Contains(t, log.String(), "reason=spf-fail")
}

// With a postmaster and notice_on naming the reason, the drop sends the
// postmaster a notice, and only then answers 250; a notice the next hop
// refuses for now keeps the DSN at the MTA (451).
func TestDropSendsNotice(t *testing.T) {
	sink := smtptest.NewSink(t)
	cfg := testConfig(sink.Addr())
	cfg.postmaster = "postmaster@hosted.example"
	addr, log := startGate(t, cfg, newTestZone(t), func(p *policy.Policy) { p.NoticeOn = []policy.Reason{policy.ReasonSPFFail} })

	require.NoError(t, send(t, addr, tx{to: []string{forged}, data: postfixDSN(forged, "notice")}), log.String())
	msgs := sink.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "postmaster@hosted.example", msgs[0].To[0].Addr)
	assert.Contains(t, string(msgs[0].Data), "Message-ID: <notice@example.org>")
	assert.Contains(t, log.String(), "notice_to=postmaster@hosted.example")

	sink.Fail(smtptest.StageRcpt, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "later"})
	err := send(t, addr, tx{to: []string{forged}, data: postfixDSN(forged, "notice2")})
	assert.Equal(t, 451, code(err), replyOf(err))
	assert.Contains(t, log.String(), "kept: notice not sent")
}

// SPF temperror defers the decision: 451 4.4.3, the MTA keeps the DSN.
func TestDeferOnTemperror(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, _ := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	err := send(t, addr, tx{to: []string{"bob@temp.example"}, data: postfixDSN("bob@temp.example", "temp")})
	assert.Equal(t, "451 4.4.3 bounce decision deferred (spf-temperror): try again later", replyOf(err))
	assert.Empty(t, sink.Messages())
}

// A second RCPT in a transaction is answered 452 4.5.3 (RFC 5321
// §4.5.3.1.10): the MTA sends it in another, so each reply after DATA is
// one recipient's.
func TestSecondRecipientDeferred(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, _ := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello("mx.hosted.example"))
	require.NoError(t, c.Mail(genuine, nil))
	require.NoError(t, c.Rcpt("bob@example.net", nil))
	err = c.Rcpt("carol@example.net", nil)
	assert.Equal(t, "452 4.5.3 one recipient per transaction, send the next in a new one", replyOf(err))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write(plainMessage("two"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Reset(), "the next transaction starts afresh")
	require.NoError(t, c.Mail(genuine, nil))
	require.NoError(t, c.Rcpt("carol@example.net", nil))
	msgs := sink.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "bob@example.net", msgs[0].To[0].Addr)
}

// Mail that is no DSN is relayed undecided, with its MAIL and RCPT
// parameters; so is null-sender mail that is no DSN (an auto-reply).
func TestNonDSNRelayed(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, _ := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	mail := &smtp.MailOptions{Return: smtp.DSNReturnHeaders, EnvelopeID: "env 1"}
	rcpt := &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed},
		OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "bob@example.net"}
	require.NoError(t, send(t, addr, tx{from: forged, to: []string{"bob@example.net"}, mail: mail, rcpt: rcpt, data: plainMessage("plain")}))
	require.NoError(t, send(t, addr, tx{from: "", to: []string{forged}, data: plainMessage("vacation")}))

	msgs := sink.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, forged, msgs[0].From, "not decided: no SPF gate for mail that is no DSN")
	assert.Equal(t, smtp.DSNReturnHeaders, msgs[0].MailOptions.Return)
	assert.Equal(t, "env 1", msgs[0].MailOptions.EnvelopeID)
	assert.Equal(t, []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}, msgs[0].To[0].Options.Notify)
	assert.Equal(t, "bob@example.net", msgs[0].To[0].Options.OriginalRecipient)
	assert.Equal(t, plainMessage("plain"), msgs[0].Data)
	assert.Equal(t, "", msgs[1].From)
	assert.Equal(t, forged, msgs[1].To[0].Addr)
}

// The next hop's reply stands for the relay's outcome: its 5xx is passed
// back as final; its 4xx, a dropped connection, a stall past the timeout
// or no next hop at all are 451, so that the MTA keeps the message.
func TestRelayFailures(t *testing.T) {
	tests := []struct {
		name  string
		stage smtptest.Stage
		err   error
		want  string
	}{
		{"5xx at RCPT", smtptest.StageRcpt, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, "550 5.1.1 "},
		{"5xx after DATA", smtptest.StageData, &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected\r\n250 forged"}, "554 5.7.1 "},
		{"4xx at MAIL", smtptest.StageMail, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}, "451 4.4.0 cannot relay now"},
		{"4xx after DATA", smtptest.StageData, &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "full"}, "451 4.4.0 cannot relay now"},
		{"dropped mid-DATA", smtptest.StageData, smtptest.ErrDrop, "451 4.4.0 cannot relay now"},
		{"stalled", smtptest.StageRcpt, smtptest.ErrStall, "451 4.4.0 cannot relay now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtptest.NewSink(t)
			cfg := testConfig(sink.Addr())
			cfg.timeout = time.Second
			addr, _ := startGate(t, cfg, newTestZone(t), nil)
			sink.Fail(tt.stage, tt.err)
			for _, x := range []tx{
				{from: genuine, to: []string{"bob@example.net"}, data: plainMessage("plain")},
				{to: []string{genuine}, data: postfixDSN(genuine, "dsn")},
			} {
				err := send(t, addr, x)
				assert.True(t, strings.HasPrefix(replyOf(err), tt.want), "%s", replyOf(err))
				assert.NotContains(t, replyOf(err), "\n")
			}
			assert.Empty(t, sink.Messages())
		})
	}
	t.Run("next hop down", func(t *testing.T) {
		addr, _ := startGate(t, testConfig(closedPort(t)), newTestZone(t), nil)
		err := send(t, addr, tx{to: []string{genuine}, data: postfixDSN(genuine, "down")})
		assert.True(t, strings.HasPrefix(replyOf(err), "451 4.4.0 cannot relay now"), replyOf(err))
	})
}

// Hostile input: a DSN that does not parse is kept (451), never relayed
// nor dropped; an oversize message is refused with 552 before anything
// is decided; bad addresses are refused at MAIL and RCPT.
func TestHostileInput(t *testing.T) {
	sink := smtptest.NewSink(t)
	cfg := testConfig(sink.Addr())
	cfg.maxSize = 64 << 10
	addr, log := startGate(t, cfg, newTestZone(t), nil)

	garbage := bytes.Replace(postfixDSN(genuine, "garbage"), []byte("Status: 5.1.1"), []byte("Status: 9.9.9.9"), 1)
	err := send(t, addr, tx{to: []string{genuine}, data: garbage})
	assert.Equal(t, 451, code(err), replyOf(err))
	assert.Contains(t, log.String(), "kept: unreadable DSN")

	noRecipient := bytes.Replace(postfixDSN(genuine, "garbage"), []byte("Final-Recipient: rfc822; nosuchuser@hosted.example"), []byte("Final-Recipient: x-weird; 12"), 1)
	err = send(t, addr, tx{to: []string{genuine}, data: noRecipient})
	assert.Equal(t, 451, code(err), replyOf(err))

	big := append(plainMessage("big"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef\r\n"), 3000)...)
	err = send(t, addr, tx{from: genuine, to: []string{"bob@example.net"}, data: big})
	assert.Equal(t, 552, code(err), replyOf(err))

	err = send(t, addr, tx{from: genuine, to: []string{"bob@@example.net"}, data: plainMessage("x")})
	assert.Equal(t, "553 5.1.3 bad recipient address syntax", replyOf(err))
	err = send(t, addr, tx{from: "alice@exa mple", to: []string{"bob@example.net"}, data: plainMessage("x")})
	assert.Equal(t, 5, code(err)/100, replyOf(err))
	err = send(t, addr, tx{from: "alice@-bad-.example", to: []string{"bob@example.net"}, data: plainMessage("x")})
	assert.Equal(t, "553 5.1.7 bad sender address syntax", replyOf(err))
	err = send(t, addr, tx{from: genuine, to: []string{"bøb@example.net"}, data: plainMessage("x")})
	assert.Equal(t, "553 5.1.3 bad recipient address syntax", replyOf(err), "non-ASCII without SMTPUTF8 (RFC 6531 §3.3)")

	assert.Empty(t, sink.Messages())
	// The gate still serves.
	require.NoError(t, send(t, addr, tx{to: []string{genuine}, data: postfixDSN(genuine, "after")}))
	require.Len(t, sink.Messages(), 1)
}

// relayReply keeps a reply line short and printable whatever the next
// hop said.
func TestRelayReplyClean(t *testing.T) {
	e := relayReply(deliver.Errors{{Recipients: []string{genuine}, Host: "mx.example", Code: 550, EnhancedCode: "5.1.1", Text: strings.Repeat("x\x00y", 500)}})
	assert.Equal(t, 550, e.Code)
	assert.LessOrEqual(t, len(e.Message), maxReplyText)
	assert.NotContains(t, e.Message, "\x00")
}

// A DSN another MTA wrote (Reporting-MTA not ours), null-sender mail
// from outside that our MTA forwards, is relayed undecided like any other
// null-sender mail: the gate decides only its MTA's own DSNs. Decided, a
// genuine remote DSN forwarded to a user lost its client (no Received
// field of ours) and was dropped as spf-none; and a spammer's crafted one
// could plant the client the gate would trust.
func TestForeignDSNRelayedUndecided(t *testing.T) {
	sink := smtptest.NewSink(t)
	addr, log := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	foreign := strings.NewReplacer(
		"Reporting-MTA: dns; mx.hosted.example", "Reporting-MTA: dns; mx.remote.example",
		"by mx.hosted.example (Postfix)", "by mx.remote.example (Postfix)",
	).Replace(string(postfixDSN(forged, "foreign")))
	require.NoError(t, send(t, addr, tx{to: []string{forged}, data: []byte(foreign)}), log.String())
	msgs := sink.Messages()
	require.Len(t, msgs, 1, log.String())
	assert.Equal(t, []byte(foreign), msgs[0].Data)
	assert.Contains(t, log.String(), "msg=relayed")
	assert.Contains(t, log.String(), `level=WARN msg="another MTA's DSN: relayed undecided" client=`)
	assert.Contains(t, log.String(), "reporting_mta=mx.remote.example ours=mx.hosted.example")
	assert.NotContains(t, log.String(), "msg=dropped")

	// Ours in any case: decided (forged: SPF fail, dropped).
	ours := strings.Replace(string(postfixDSN(forged, "ours")), "Reporting-MTA: dns; mx.hosted.example", "Reporting-MTA: DNS; MX.Hosted.Example", 1)
	require.NoError(t, send(t, addr, tx{to: []string{forged}, data: []byte(ours)}))
	assert.Len(t, sink.Messages(), 1)
	assert.Contains(t, log.String(), "reason=spf-fail")
}

// A message with a line longer than go-smtp's default 2,000 octets (an
// HTML mail unwrapped, as qmail or Exim relays it as it is) is taken and
// relayed, not cut off with a 500 and the connection closed: RFC 5321
// §4.5.3.1 asks servers for no limits where they can, and the message's
// size is bounded by -max-size anyway. With qmail every remote message
// passes the gate, so the limit refused genuine mail.
func TestLongLineRelayed(t *testing.T) {
	sink := smtptest.NewSink(t, func(s *smtp.Server) { s.MaxLineLength = 1 << 20 })
	addr, log := startGate(t, testConfig(sink.Addr()), newTestZone(t), nil)
	msg := append(plainMessage("long"), []byte("<p>"+strings.Repeat("x", 5000)+"</p>\r\n")...)
	require.NoError(t, send(t, addr, tx{from: genuine, to: []string{"bob@example.net"}, data: msg}), log.String())
	require.Len(t, sink.Messages(), 1)
	assert.Equal(t, msg, sink.Messages()[0].Data)
}
