package deliver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

const dsnASCII = "From: MAILER-DAEMON@mx.example.net\r\nTo: a@single.example\r\nSubject: Undelivered Mail\r\n\r\nSorry.\r\n"

func TestSendMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		m        *policy.Message
		utf8     bool
		needs    string // the extension a server without it fails on
		permFail string // its enhanced code
	}{
		{"ASCII", &policy.Message{RcptTo: "a@single.example", Data: []byte(dsnASCII)}, false, "", ""},
		{"8-bit body", &policy.Message{RcptTo: "a@single.example", Data: []byte(dsnASCII + "Grüße\r\n")}, false, "8BITMIME", "5.6.3"},
		// RFC 6532 §3: UTF-8 in the header needs SMTPUTF8.
		{"UTF-8 header", &policy.Message{RcptTo: "a@single.example", Data: []byte("Subject: Grüße\r\n\r\nx\r\n")}, true, "SMTPUTF8", "5.6.7"},
		{"UTF-8 recipient", &policy.Message{RcptTo: "jörg@single.example", Data: []byte(dsnASCII)}, true, "SMTPUTF8", "5.6.7"},
		// Not held: SMTPUTF8 where offered, 8BITMIME needed.
		{"not held", &policy.Message{RcptTo: "a@single.example"}, true, "8BITMIME", "5.6.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1")
			require.NoError(t, w.client().SendMessage(context.Background(), tc.m))
			msgs := s.Messages()
			require.Len(t, msgs, 1)
			assert.Empty(t, msgs[0].From, "the null reverse path")
			require.Len(t, msgs[0].To, 1)
			assert.Equal(t, tc.m.RcptTo, msgs[0].To[0].Addr)
			if tc.m.Data != nil {
				assert.Equal(t, string(tc.m.Data), string(msgs[0].Data))
			}
			assert.Equal(t, tc.utf8, msgs[0].MailOptions.UTF8)
		})
		switch tc.needs {
		case "SMTPUTF8":
			t.Run(tc.name+", without SMTPUTF8", func(t *testing.T) {
				w := newWorld(t)
				s := w.sink(t, "192.0.2.1", smtptest.WithoutSMTPUTF8())
				err := w.client().SendMessage(context.Background(), tc.m)
				assert.ErrorIs(t, err, deliver.ErrPermanent)
				assert.Equal(t, tc.permFail, failures(t, err)[0].EnhancedCode)
				assert.Empty(t, s.Messages())
			})
		case "8BITMIME":
			t.Run(tc.name+", without 8BITMIME", func(t *testing.T) {
				addr, _ := scriptedServer(t, "SMTPUTF8")
				c := &deliver.Client{NextHop: addr, HELO: "bounce.example.net"}
				err := c.SendMessage(context.Background(), tc.m)
				assert.ErrorIs(t, err, deliver.ErrPermanent)
				assert.Equal(t, tc.permFail, failures(t, err)[0].EnhancedCode)
			})
		}
	}
}

func TestSendMessageNotHeldWithoutSMTPUTF8(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1", smtptest.WithoutSMTPUTF8())
	require.NoError(t, w.client().SendMessage(context.Background(), &policy.Message{RcptTo: "a@single.example"}))
	msgs := s.Messages()
	require.Len(t, msgs, 1, "SMTPUTF8 is used where offered, not required")
	assert.False(t, msgs[0].MailOptions.UTF8)
}

func TestSendMessageRefusesInvalid(t *testing.T) {
	c := &deliver.Client{HELO: "h.example", Resolver: failingResolver{t}}
	assert.ErrorIs(t, c.SendMessage(context.Background(), &policy.Message{RcptTo: "not an address"}), deliver.ErrInvalidEnvelope)
	assert.ErrorIs(t, (&deliver.Client{}).SendMessage(context.Background(), &policy.Message{RcptTo: "a@example.org"}), deliver.ErrInvalidClient)
}
