package deliver

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrTemporary is matched by errors.Is on an *Error, or Errors
	// holding one, for recipients that may be tried again later: 4xx
	// replies, network errors, timeouts, DNS failures that are not
	// final, a context that ended (RFC 5321 §4.2.1, §4.5.4.1).
	ErrTemporary = errors.New("deliver: temporary failure")
	// ErrPermanent is matched by errors.Is on an *Error, or Errors
	// holding one, for recipients that will never be delivered: 5xx
	// replies, a domain that does not exist or accepts no mail, a
	// server without an extension the message needs.
	ErrPermanent = errors.New("deliver: permanent failure")
	// ErrInvalidClient is wrapped by the *dsn.FieldError Send returns
	// for a Client it cannot use; nothing was sent.
	ErrInvalidClient = errors.New("deliver: invalid client")
	// ErrInvalidEnvelope is wrapped by the *dsn.FieldError Send returns
	// for an envelope it cannot send; nothing was sent.
	ErrInvalidEnvelope = errors.New("deliver: invalid envelope")
)

// Error is one reason a delivery failed, for the recipients it names.
type Error struct {
	// Recipients are the addresses it concerns, as in Envelope.To.
	Recipients []string
	// Temporary says whether they may be tried again later.
	Temporary bool
	// Host is the server that answered, or was being tried: an MX
	// host, a domain (implicit MX), an address literal or the next
	// hop. It is "" when no server was reached for DNS reasons.
	Host string
	// Code is the SMTP reply code, 0 when there was no reply.
	Code int
	// EnhancedCode is the reply's enhanced status code (RFC 3463),
	// "5.1.1"; or, where there was no reply, the code this package
	// gives the failure ("5.1.10" for a null MX, RFC 7505); else "".
	EnhancedCode string
	// Text is the reply text, lines joined by "\n", or what went wrong.
	Text string
	// Err is the cause where it was no reply: a network or DNS error,
	// the context's error, the message's own WriteTo error.
	Err error
}

// Error returns a one-line account: the class, the recipients, the host,
// then the reply or the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("deliver: ")
	if e.Temporary {
		b.WriteString("temporary")
	} else {
		b.WriteString("permanent")
	}
	b.WriteString(" failure for ")
	for i, r := range e.Recipients {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "<%s>", r)
	}
	if e.Host != "" {
		fmt.Fprintf(&b, " at %s", e.Host)
	}
	b.WriteString(": ")
	if e.Code != 0 {
		b.WriteString(strings.ReplaceAll(e.Reply(), "\n", " "))
	} else {
		b.WriteString(e.Text)
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	}
	return b.String()
}

// Is reports whether target is ErrTemporary or ErrPermanent as e is.
func (e *Error) Is(target error) bool {
	return target == ErrTemporary && e.Temporary || target == ErrPermanent && !e.Temporary
}

// Unwrap returns the cause, Err.
func (e *Error) Unwrap() error { return e.Err }

// Reply returns the SMTP reply as "550 5.1.1 text", for a DSN's
// Diagnostic-Code ("smtp; " and this, RFC 3464 §2.3.6), or "" when there
// was none. Lines of a multi-line reply are joined by "\n".
func (e *Error) Reply() string {
	if e.Code == 0 {
		return ""
	}
	s := fmt.Sprintf("%03d", e.Code)
	if e.EnhancedCode != "" {
		s += " " + e.EnhancedCode
	}
	if e.Text != "" {
		s += " " + e.Text
	}
	return s
}

// Errors is the error Send returns: one *Error per cause, domain by
// domain in the order of the recipients. errors.As finds each *Error in it, and errors.Is
// matches ErrTemporary when any is temporary, ErrPermanent when any is
// permanent, and any cause (context.Canceled, say).
type Errors []*Error

// Error joins the errors' texts with "; ".
func (es Errors) Error() string {
	texts := make([]string, len(es))
	for i, e := range es {
		texts[i] = e.Error()
	}
	return strings.Join(texts, "; ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}
