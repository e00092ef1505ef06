package policy

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// ReplyEvent is a message delivered to a user who has an auto-reply (a
// vacation notice) on: what was recorded at receipt, the user's
// addresses and the reply to send.
type ReplyEvent struct {
	// ReturnPath is the MAIL FROM reverse path, angle brackets optional;
	// empty or "<>" for the null return path. The reply goes to it
	// (RFC 3834 §4).
	ReturnPath string
	// ClientIP and HELO are the SMTP client's address and HELO/EHLO name
	// at receipt, to evaluate SPF with.
	ClientIP netip.Addr
	HELO     string
	// ReceivedAt is when the message was received: the start of the
	// temperror defer window, as for Event.
	ReceivedAt time.Time
	// SPF is the result recorded at receipt for the return path, if any.
	SPF spf.Result
	// Authenticated is true for an authenticated or locally submitted
	// sender, whose return path is known to be genuine.
	Authenticated bool

	// Addresses are the user's addresses, at least one: the first is the
	// user's own, the reply's From; the others are aliases (RFC 5230
	// :addresses). A message that names none of them in To, Cc, Bcc or
	// their Resent- forms gets no reply (RFC 5230 §4.5).
	Addresses []string
	// Handle names the reply for the once-per-period rule (RFC 5230
	// :handle, §4.2): two replies with different handles are tracked
	// apart. Empty means one derived from Subject and Text.
	Handle string
	// Days is the period in days within which a sender gets the reply at
	// most once (RFC 5230 :days, §4.1): DefaultReplyDays when zero, from 1
	// (the RFC's minimum) to MaxReplyDays.
	Days int

	// MailFrom is the reply's envelope sender: empty for the null reverse
	// path, the default (RFC 3834 §3.3), or an address of the user's that
	// accepts bounces of the reply.
	MailFrom string
	// Subject is the reply's Subject; empty means "Auto: " and the
	// original's subject (RFC 3834 §3.1.5, RFC 5230 :subject). One line
	// of text, UTF-8.
	Subject string
	// Text is the reply's body, plain UTF-8 text, any line breaks. Empty
	// means no message is composed: the caller composes its own.
	Text string

	// Original opens the message received, as Event.Original does. It is
	// required: its header decides most rules.
	Original func() (io.ReadCloser, error)
	// SMTPUTF8 says the message was received with SMTPUTF8 (RFC 6531):
	// addresses may be UTF-8, and the reply is sent with SMTPUTF8 too.
	SMTPUTF8 bool
}

// Bounds of a ReplyEvent.
const (
	// DefaultReplyDays is the period of ReplyEvent.Days when zero: a week,
	// the usual default of RFC 5230 §4.1.
	DefaultReplyDays = 7
	// MaxReplyDays is the longest period: RFC 5230 §4.1 lets a site set
	// one, above 7.
	MaxReplyDays = 365

	maxReplyAddresses = 100      // aliases of one user
	maxHandleLen      = 1000     // bytes
	maxReplySubject   = 900      // bytes: one word of it still fits a line (RFC 5322 §2.1.1)
	maxReplyText      = 64 << 10 // bytes: a vacation notice is short
)

// Validate checks that the event is complete and that nothing in it could
// break the structure of the reply. Its errors are *dsn.FieldError values
// wrapping ErrInvalidEvent, naming the field as in the bouncecheck reply
// event JSON ("addresses[1]").
func (ev *ReplyEvent) Validate() error {
	if err := validateReceipt(ev.ReturnPath, ev.ClientIP, ev.HELO, ev.SPF, ev.SMTPUTF8); err != nil {
		return err
	}
	if err := ev.validateUser(); err != nil {
		return err
	}
	if err := ev.validateReply(); err != nil {
		return err
	}
	if ev.Original == nil {
		return eventError("message", "no original: its header decides whether to reply (RFC 3834 §2)")
	}
	return nil
}

// validateUser checks the user's side: addresses, handle, days.
func (ev *ReplyEvent) validateUser() error {
	switch n := len(ev.Addresses); {
	case n == 0:
		return eventError("addresses", "no address: the user's own comes first (RFC 5230 §4.5)")
	case n > maxReplyAddresses:
		return eventError("addresses", "more than %d", maxReplyAddresses)
	}
	for i, a := range ev.Addresses {
		if err := smtpsyntax.CheckMailbox(a, ev.SMTPUTF8); err != nil {
			return eventError(fmt.Sprintf("addresses[%d]", i), "%s", err)
		}
	}
	if err := checkText(ev.Handle, maxHandleLen); err != nil {
		return eventError("handle", "%s", err)
	}
	// RFC 5230 §4.1: at least 1; a site may set a maximum above 7.
	if ev.Days < 0 || ev.Days > MaxReplyDays {
		return eventError("days", "%d is outside 1 to %d (RFC 5230 §4.1); 0 means %d", ev.Days, MaxReplyDays, DefaultReplyDays)
	}
	return nil
}

// validateReply checks the reply's own fields.
func (ev *ReplyEvent) validateReply() error {
	if ev.MailFrom != "" {
		if err := smtpsyntax.CheckMailbox(ev.MailFrom, ev.SMTPUTF8); err != nil {
			return eventError("mail_from", "%s", err)
		}
	}
	if err := checkText(ev.Subject, maxReplySubject); err != nil {
		return eventError("subject", "%s", err)
	}
	if len(ev.Text) > maxReplyText {
		return eventError("text", "over %d KiB", maxReplyText>>10)
	}
	if !utf8.ValidString(ev.Text) {
		return eventError("text", "invalid UTF-8")
	}
	// Tab and line breaks are text; other controls are no plain text
	// (RFC 2046 §4.1.1) and NUL not even in 8bit (RFC 2045 §2.8).
	if i := strings.IndexFunc(ev.Text, func(r rune) bool {
		return r != '\t' && r != '\r' && r != '\n' && mailsyntax.IsControl(r)
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(ev.Text[i:])
		return eventError("text", "%s", mailsyntax.ControlError(r, "RFC 2046 §4.1.1"))
	}
	return nil
}

// checkText checks one line of UTF-8 text of at most max bytes, such as a
// header field's value: a control character there could end the field
// and start another (RFC 5322 §2.2).
func checkText(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return errors.New("invalid UTF-8")
	}
	return mailsyntax.CheckControls(s, "RFC 5322 §2.2")
}
