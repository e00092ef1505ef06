package deliver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

// dsnEnvelope has every DSN parameter (RFC 3461 §4).
func dsnEnvelope() deliver.Envelope {
	return deliver.Envelope{
		From:  "sender@example.net",
		Ret:   dsn.RetHdrs,
		EnvID: "QQ314159+x",
		To: []deliver.Recipient{
			{Addr: "a@single.example", Notify: dsn.NotifyFailure | dsn.NotifyDelay, ORCPT: dsn.Address{Addr: "orig+a@example.com"}},
			{Addr: "b@single.example", Notify: dsn.NotifyNever},
			{Addr: "c@single.example", ORCPT: dsn.Address{Type: "utf-8", Addr: "jörg@example.com"}},
		},
	}
}

func TestSendPassesDSNParameters(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	require.NoError(t, w.client().Send(context.Background(), dsnEnvelope(), text(body)))
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, smtp.DSNReturnHeaders, m.MailOptions.Return)
	assert.Equal(t, "QQ314159+x", m.MailOptions.EnvelopeID)
	require.Len(t, m.To, 3)
	assert.Equal(t, []smtp.DSNNotify{"FAILURE", "DELAY"}, m.To[0].Options.Notify)
	assert.Equal(t, smtp.DSNAddressTypeRFC822, m.To[0].Options.OriginalRecipientType)
	assert.Equal(t, "orig+a@example.com", m.To[0].Options.OriginalRecipient)
	assert.Equal(t, []smtp.DSNNotify{"NEVER"}, m.To[1].Options.Notify)
	assert.Empty(t, m.To[1].Options.OriginalRecipient)
	assert.Equal(t, smtp.DSNAddressTypeUTF8, m.To[2].Options.OriginalRecipientType)
	assert.Equal(t, "jörg@example.com", m.To[2].Options.OriginalRecipient)
	assert.False(t, m.MailOptions.UTF8, "an ASCII envelope needs no SMTPUTF8")
}

// RFC 3461 §4.1: to a server without DSN the parameters are not sent.
func TestSendDropsDSNParametersWhereNotOffered(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1", smtptest.WithoutDSN())
	require.NoError(t, w.client().Send(context.Background(), dsnEnvelope(), text(body)))
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	assert.Empty(t, msgs[0].MailOptions.Return)
	assert.Empty(t, msgs[0].MailOptions.EnvelopeID)
	assert.Empty(t, msgs[0].To[0].Options.Notify)
}

func TestSendSMTPUTF8(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  deliver.Envelope
	}{
		{"asked for", deliver.Envelope{From: "a@example.net", To: []deliver.Recipient{{Addr: "b@single.example"}}, SMTPUTF8: true}},
		{"non-ASCII recipient", env("jörg@single.example")},
		{"non-ASCII sender", deliver.Envelope{From: "jörg@example.net", To: []deliver.Recipient{{Addr: "b@single.example"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1")
			require.NoError(t, w.client().Send(context.Background(), tc.env, text(body)))
			msgs := s.Messages()
			require.Len(t, msgs, 1)
			assert.True(t, msgs[0].MailOptions.UTF8)
		})
		// RFC 6531 §3.4: a server without SMTPUTF8 gets nothing.
		t.Run(tc.name+", not offered", func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1", smtptest.WithoutSMTPUTF8())
			err := w.client().Send(context.Background(), tc.env, text(body))
			errs := failures(t, err)
			require.Len(t, errs, 1)
			assert.ErrorIs(t, err, deliver.ErrPermanent)
			assert.Equal(t, "5.6.7", errs[0].EnhancedCode)
			assert.Zero(t, errs[0].Code)
			assert.Equal(t, "mx1.example.org", errs[0].Host)
			assert.Empty(t, s.Messages())
		})
	}
}

// RFC 6152 §3: 8-bit content goes only to a server that offers 8BITMIME.
func TestSendEightBitNeeds8BITMIME(t *testing.T) {
	addr, commands := scriptedServer(t, "PIPELINING", "SIZE 1000000")
	c := &deliver.Client{NextHop: addr, HELO: "bounce.example.net"}
	e := env("a@example.org")
	e.EightBit = true
	err := c.Send(context.Background(), e, text("Subject: ü\r\n\r\nü\r\n"))
	errs := failures(t, err)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, err, deliver.ErrPermanent)
	assert.Equal(t, "5.6.3", errs[0].EnhancedCode)
	for _, cmd := range commands() {
		assert.NotContains(t, cmd, "MAIL", "no transaction begins")
	}
}

// bigMessage writes n bytes of 78-character lines as it goes, never
// holding the message.
type bigMessage struct{ n int }

func (m bigMessage) WriteTo(w io.Writer) (int64, error) {
	line := bytes.Repeat([]byte("x"), 76)
	line = append(line, '\r', '\n')
	var total int64
	for total < int64(m.n) {
		n, err := w.Write(line[:min(len(line), m.n-int(total))])
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func TestSendStreamsTenMiB(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	const size = 10 << 20
	require.NoError(t, w.client().Send(context.Background(), env("a@single.example"), bigMessage{size - size%78}))
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	var want bytes.Buffer
	_, err := bigMessage{size - size%78}.WriteTo(&want)
	require.NoError(t, err)
	assert.Len(t, msgs[0].Data, want.Len())
	assert.Equal(t, sha256.Sum256(want.Bytes()), sha256.Sum256(msgs[0].Data))
}
