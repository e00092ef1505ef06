package deliver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/dsn"
)

func TestSendRefusesInvalidClient(t *testing.T) {
	for _, tc := range []struct {
		field  string
		client deliver.Client
	}{
		{"Client.HELO", deliver.Client{}},
		{"Client.HELO", deliver.Client{HELO: "bad name"}},
		{"Client.HELO", deliver.Client{HELO: "host.example.\r\nRCPT TO:<x@y>"}},
		{"Client.Port", deliver.Client{HELO: "h.example", Port: "smtp"}},
		{"Client.Port", deliver.Client{HELO: "h.example", Port: "0"}},
		{"Client.Port", deliver.Client{HELO: "h.example", Port: "65536"}},
		{"Client.NextHop", deliver.Client{HELO: "h.example", NextHop: "a:b:c"}},
		{"Client.NextHop", deliver.Client{HELO: "h.example", NextHop: "relay.example:smtp"}},
		{"Client.NextHop", deliver.Client{HELO: "h.example", NextHop: "relay example:25"}},
		{"Client.Timeout", deliver.Client{HELO: "h.example", Timeout: -1}},
	} {
		err := tc.client.Send(context.Background(), env("a@example.org"), text(body))
		assert.ErrorIs(t, err, deliver.ErrInvalidClient, tc.field)
		var fe *dsn.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, tc.field, fe.Field)
		assert.NotErrorIs(t, err, deliver.ErrTemporary, "neither: nothing was tried")
		assert.NotErrorIs(t, err, deliver.ErrPermanent)
	}
}

func TestSendRefusesInvalidEnvelope(t *testing.T) {
	one := func(r deliver.Recipient) []deliver.Recipient { return []deliver.Recipient{r} }
	ok := deliver.Recipient{Addr: "a@example.org"}
	for _, tc := range []struct {
		field string
		env   deliver.Envelope
	}{
		{"Envelope.To", deliver.Envelope{}},
		{"Envelope.From", deliver.Envelope{From: "no-at-sign", To: one(ok)}},
		{"Envelope.From", deliver.Envelope{From: "<a@example.org>", To: one(ok)}},
		{"Envelope.To[0].Addr", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org>\r\nDATA"})}},
		{"Envelope.To[0].Addr", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@[192.0.2.999]"})}},
		{"Envelope.To[0].Addr", deliver.Envelope{To: one(deliver.Recipient{Addr: ""})}},
		{"Envelope.Ret", deliver.Envelope{To: one(ok), Ret: "ALL"}},
		{"Envelope.EnvID", deliver.Envelope{To: one(ok), EnvID: "id with\ttab"}},
		{"Envelope.To[0].Notify", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", Notify: dsn.NotifyNever | dsn.NotifyFailure})}},
		{"Envelope.To[0].Notify", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", Notify: 0x80})}},
		{"Envelope.To[0].ORCPT", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", ORCPT: dsn.Address{Type: "x400", Addr: "x"}})}},
		{"Envelope.To[0].ORCPT", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", ORCPT: dsn.Address{Addr: "jörg@example.org"}})}},
		{"Envelope.To[0].ORCPT", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", ORCPT: dsn.Address{Type: "utf-8", Addr: "a\u2028b@example.org"}})}},
		{"Envelope.To[0].ORCPT", deliver.Envelope{To: one(deliver.Recipient{Addr: "a@example.org", ORCPT: dsn.Address{Type: "utf-8", Addr: "a\xffb@example.org"}})}},
	} {
		c := &deliver.Client{HELO: "h.example", Resolver: failingResolver{t}}
		err := c.Send(context.Background(), tc.env, text(body))
		assert.ErrorIs(t, err, deliver.ErrInvalidEnvelope, tc.field)
		var fe *dsn.FieldError
		if assert.ErrorAs(t, err, &fe, tc.field) {
			assert.Equal(t, tc.field, fe.Field)
		}
	}
	c := &deliver.Client{HELO: "h.example", Resolver: failingResolver{t}}
	assert.ErrorIs(t, c.Send(context.Background(), env("a@example.org"), nil), deliver.ErrInvalidEnvelope, "nil message")
}

// The zero Client's other fields are useful: port 25, a net.Dialer,
// DefaultTimeout. (A loopback next hop is the Client's own choice; a
// loopback address literal, a recipient's, is refused: see
// TestSendRefusesLocalAddresses.)
func TestSendZeroClientFields(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	c := &deliver.Client{HELO: "[192.0.2.7]", NextHop: "127.0.0.1", Port: s.Port()}
	require.NoError(t, c.Send(context.Background(), env("a@[192.0.2.1]"), text(body)))
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "[192.0.2.7]", msgs[0].Hello)
}
