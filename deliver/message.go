package deliver

import (
	"context"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

// SendMessage sends a DSN or postmaster notice that policy.Decide
// composed: from the null reverse path to its one recipient, with no DSN
// parameters. SMTPUTF8 is required for a non-ASCII recipient or header;
// 8BITMIME for a message with 8-bit content. Of a message not held in
// memory (m.Data nil) neither is known without composing it again: it is
// sent with SMTPUTF8 where the server offers it, and needs 8BITMIME, which
// every server of note offers.
func (c *Client) SendMessage(ctx context.Context, m *policy.Message) error {
	env := Envelope{From: m.MailFrom, To: []Recipient{{Addr: m.RcptTo}}}
	if err := c.check(); err != nil {
		return err
	}
	tx, err := newTransaction(&env, m)
	if err != nil {
		return err
	}
	switch {
	case m.Data == nil:
		tx.eightBit = needRequired
		if tx.utf8 == needNot {
			tx.utf8 = needIfOffered
		}
	case !mailsyntax.IsASCII(m.Data):
		tx.eightBit = needRequired
		end, _ := mailsyntax.HeaderEnd(m.Data, 0, true)
		if end < 0 {
			end = len(m.Data) // all header
		}
		if !mailsyntax.IsASCII(m.Data[:end]) {
			tx.utf8 = needRequired // RFC 6532 §3: UTF-8 header fields
		}
	}
	return c.send(ctx, tx)
}
