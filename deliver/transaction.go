package deliver

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// need says whether a transaction needs an extension of the server.
type need int

const (
	needNot       need = iota
	needIfOffered      // used where offered; sent without where not
	needRequired       // a server without it gets nothing
)

// transaction is a checked envelope, ready for go-smtp, and its message.
type transaction struct {
	from     string
	mail     smtp.MailOptions
	rcpts    []rcpt
	msg      io.WriterTo
	start    int64 // where msg, an io.Seeker, stood at first; -1 if no Seeker
	utf8     need  // SMTPUTF8, RFC 6531
	eightBit need  // 8BITMIME, RFC 6152
}

// rcpt is one recipient with its RCPT parameters.
type rcpt struct {
	addr string
	opts smtp.RcptOptions
}

// newTransaction checks env; its errors are *dsn.FieldError values
// wrapping ErrInvalidEnvelope.
func newTransaction(env *Envelope, msg io.WriterTo) (*transaction, error) {
	if msg == nil {
		return nil, envelopeError("msg", "nil: no message to send")
	}
	tx := &transaction{from: env.From, msg: msg, start: -1}
	if s, ok := msg.(io.Seeker); ok {
		start, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, envelopeError("msg", "cannot tell its position: "+err.Error())
		}
		tx.start = start
	}
	if env.SMTPUTF8 {
		tx.utf8 = needRequired
	}
	if env.EightBit {
		tx.eightBit = needRequired
	}
	if env.From != "" {
		if err := smtpsyntax.CheckMailbox(env.From, true); err != nil {
			return nil, envelopeError("From", err.Error())
		}
		if !mailsyntax.IsASCII(env.From) {
			tx.utf8 = needRequired // RFC 6531 §3.2
		}
	}
	if len(env.To) == 0 {
		return nil, envelopeError("To", "no recipients (RFC 5321 §3.3)")
	}
	switch env.Ret {
	case "", dsn.RetFull, dsn.RetHdrs:
		tx.mail.Return = smtp.DSNReturn(env.Ret)
	default:
		return nil, envelopeError("Ret", "want FULL or HDRS (RFC 3461 §4.3)")
	}
	if err := dsn.CheckEnvID(env.EnvID); err != nil {
		return nil, envelopeError("EnvID", err.Error())
	}
	tx.mail.EnvelopeID = env.EnvID
	for i, r := range env.To {
		field := "To[" + strconv.Itoa(i) + "]."
		if err := smtpsyntax.CheckMailbox(r.Addr, true); err != nil {
			return nil, envelopeError(field+"Addr", err.Error())
		}
		if !mailsyntax.IsASCII(r.Addr) {
			tx.utf8 = needRequired // RFC 6531 §3.2
		}
		opts, err := rcptOptions(r, field)
		if err != nil {
			return nil, err
		}
		tx.rcpts = append(tx.rcpts, rcpt{addr: r.Addr, opts: opts})
	}
	return tx, nil
}

// rcptOptions turns a Recipient's DSN parameters into go-smtp's.
func rcptOptions(r Recipient, field string) (smtp.RcptOptions, error) {
	var opts smtp.RcptOptions
	if r.Notify != 0 {
		// RFC 3461 §4.1: NEVER, or a list of the others.
		n, err := dsn.ParseNotify(r.Notify.String())
		if err != nil || n != r.Notify {
			return opts, envelopeError(field+"Notify", "NEVER must stand alone, and no unknown bits (RFC 3461 §4.1)")
		}
		for _, word := range strings.Split(r.Notify.String(), ",") {
			opts.Notify = append(opts.Notify, smtp.DSNNotify(word))
		}
	}
	if r.ORCPT.Addr == "" {
		return opts, nil
	}
	switch strings.ToLower(r.ORCPT.Type) {
	case "", "rfc822":
		// go-smtp encodes it as xtext, which holds printable ASCII
		// only (RFC 3461 §4.2).
		if i := mailsyntax.IndexNotPrintable(r.ORCPT.Addr); i >= 0 {
			return opts, envelopeError(field+"ORCPT", `an "rfc822" address must be printable ASCII (RFC 3461 §4.2); use "utf-8"`)
		}
		opts.OriginalRecipientType = smtp.DSNAddressTypeRFC822
	case "utf-8":
		if !utf8.ValidString(r.ORCPT.Addr) {
			return opts, envelopeError(field+"ORCPT", "not valid UTF-8 (RFC 6533 §3)")
		}
		if err := mailsyntax.CheckControls(r.ORCPT.Addr, "RFC 6533 §3"); err != nil {
			return opts, envelopeError(field+"ORCPT", err.Error())
		}
		opts.OriginalRecipientType = smtp.DSNAddressTypeUTF8
	default:
		return opts, envelopeError(field+"ORCPT", `address type must be "rfc822" or "utf-8" (RFC 3461 §4.2, RFC 6533 §3)`)
	}
	opts.OriginalRecipient = r.ORCPT.Addr
	return opts, nil
}

// writeMessage writes the message to w. A message that is an io.Seeker
// (a *bytes.Reader, *strings.Reader or *os.File) is put back where it
// stood first, so that each host gets all of it.
func (tx *transaction) writeMessage(w io.Writer) error {
	if tx.start >= 0 {
		if _, err := tx.msg.(io.Seeker).Seek(tx.start, io.SeekStart); err != nil {
			return err
		}
	}
	_, err := tx.msg.WriteTo(w)
	return err
}

func envelopeError(field, rule string) error {
	return &dsn.FieldError{Err: ErrInvalidEnvelope, Field: "Envelope." + field, Rule: rule}
}

// addrs returns the addresses of rs.
func addrs(rs []rcpt) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.addr
	}
	return out
}
