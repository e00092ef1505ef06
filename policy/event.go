package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// Event is a failed (or, for NOTIFY=SUCCESS, completed) delivery as the MTA
// saw it: what was recorded at receipt and what happened to each
// recipient. SMTP parameters are given parsed, with the dsn package's
// ParseNotify, ParseRet, ParseORCPT and ParseEnvID.
type Event struct {
	// ReturnPath is the MAIL FROM reverse path, angle brackets optional;
	// empty or "<>" for the null return path.
	ReturnPath string
	// ClientIP and HELO are the SMTP client's address and HELO/EHLO name
	// at receipt, used for Received-From-MTA and to evaluate SPF.
	ClientIP netip.Addr
	HELO     string
	// ReceivedAt is when the message was received: Arrival-Date, and the
	// start of the temperror defer window. When zero, temperror has no
	// window and the fallback applies at once.
	ReceivedAt time.Time

	// SPF is the result recorded at receipt for the return path, if any.
	SPF spf.Result

	// InSession is true while the SMTP transaction is still open: the
	// failure can be given as a reply instead of a DSN.
	InSession bool
	// Authenticated is true for an authenticated or locally submitted
	// sender, whose return path is known to be genuine.
	Authenticated bool
	// Verdict is the caller's content verdict.
	Verdict ContentVerdict

	// EnvID is the ENVID, decoded (RFC 3461 §4.4): as an SMTP server
	// library hands it over (go-smtp's MailOptions.EnvelopeID), or from
	// the raw xtext with dsn.ParseEnvID or dsn.ParseMailParams. Printable
	// ASCII with inner spaces, up to 100 characters; white space at an end
	// is refused, since the DSN's Original-Envelope-Id cannot carry it
	// (see dsn.CheckEnvID).
	EnvID string

	Ret      dsn.Ret // RET (RFC 3461 §4.3)
	SMTPUTF8 bool    // the message was received with SMTPUTF8 (RFC 6531)

	// Original opens the original message, header and body, each time it
	// is called: Decide reads its header, and a DSN with RET=FULL streams
	// it, again on each Message.WriteTo when it is too large to hold. Nil
	// when the original is not available. See OriginalBytes.
	Original func() (io.ReadCloser, error)

	// Recipients are the deliveries to report on, one per recipient, at
	// least one.
	Recipients []Delivery
}

// ContentVerdict is a content verdict given by the caller (rule 5).
type ContentVerdict string

// The content verdicts. The empty ContentVerdict means clean or not
// checked.
const (
	Spam  ContentVerdict = "spam"
	Virus ContentVerdict = "virus"
)

// Delivery is what became of one recipient: its failure, delay or
// success, as RFC 3464 §2.3 reports it.
type Delivery struct {
	Address string      // the envelope recipient (RCPT TO), case kept
	ORCPT   dsn.Address // ORCPT, when given (RFC 3461 §4.2)
	Notify  dsn.Notify  // NOTIFY, zero when not given (RFC 3461 §4.1)

	// Action is dsn.ActionFailed when empty.
	Action dsn.Action
	// Status is the enhanced status code; when zero it is derived from
	// Reply (dsn.StatusFromReply).
	Status dsn.Status
	// Reply is the SMTP reply that reported the failure, single or
	// multi-line; RemoteMTA the host that gave it, empty when the failure
	// was local. The reply is network input: without SMTPUTF8, its
	// non-ASCII and control bytes become "?" in the DSN and in a reject.
	Reply     string
	RemoteMTA string
	// Diagnostic is the failure's diagnostic when it is no SMTP reply, as
	// RFC 3464 §2.3.6 writes it: a type, ";" and text, such as "x-local;
	// unknown user". It goes into the DSN like a reply; give one or the
	// other.
	Diagnostic string

	LastAttempt    time.Time
	WillRetryUntil time.Time // for dsn.ActionDelayed only
}

// OriginalBytes returns an Event.Original that reads msg.
func OriginalBytes(msg []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		r := new(bytesOriginal)
		r.Reset(msg)
		return r, nil
	}
}

// bytesOriginal is an original in memory: a bytes.Reader, whose Len lets
// dsn.Compose read a large original into one buffer of its size.
type bytesOriginal struct{ bytes.Reader }

func (*bytesOriginal) Close() error { return nil }

// maxRecipients bounds the recipients of one event: RFC 5321 §4.5.3.1.8
// wants at least 100 per message accepted, Postfix takes 1000.
const maxRecipients = 1000

// ErrInvalidEvent is wrapped by the errors of Event.Validate.
var ErrInvalidEvent = errors.New("policy: invalid event")

// eventError is a *dsn.FieldError wrapping ErrInvalidEvent.
func eventError(field, format string, a ...any) error {
	return &dsn.FieldError{Err: ErrInvalidEvent, Field: field, Rule: fmt.Sprintf(format, a...)}
}

// Validate checks that the event is complete and that nothing in it could
// break the structure of a DSN: it applies the rules dsn.Compose applies.
// Its errors are *dsn.FieldError values wrapping ErrInvalidEvent, naming
// the field as in the bouncecheck event JSON ("recipients[0].address").
func (ev *Event) Validate() error {
	if err := validateReceipt(ev.ReturnPath, ev.ClientIP, ev.HELO, ev.SPF, ev.SMTPUTF8); err != nil {
		return err
	}
	switch ev.Verdict {
	case "", Spam, Virus:
	default:
		return eventError("verdict", "unknown verdict %q (want spam or virus)", ev.Verdict)
	}
	if err := dsn.CheckEnvID(ev.EnvID); err != nil {
		return eventError("envid", "%s", rule(err))
	}
	if r, err := dsn.ParseRet(string(ev.Ret)); err != nil || r != ev.Ret {
		return eventError("ret", "want FULL or HDRS, not %q (RFC 3461 §4.3)", ev.Ret)
	}
	if len(ev.Recipients) == 0 {
		return eventError("recipients", "no recipients")
	}
	if len(ev.Recipients) > maxRecipients {
		return eventError("recipients", "more than %d in one event: report them in several, so that each DSN stays within what dsn.Parse reads (2 MiB)", maxRecipients)
	}
	for i := range ev.Recipients {
		if field, err := ev.Recipients[i].validate(ev.SMTPUTF8, len(ev.Recipients)); err != nil {
			return eventError(fmt.Sprintf("recipients[%d].%s", i, field), "%s", rule(err))
		}
	}
	if ev.InSession && firstFailure(ev.Recipients) == nil {
		return eventError("in_session", "no failed or delayed recipient to reject")
	}
	return nil
}

// validate checks a recipient, returning the field at fault as the event
// JSON names it.
func (rc *Delivery) validate(smtputf8 bool, n int) (field string, err error) {
	if err := smtpsyntax.CheckMailbox(rc.Address, smtputf8); err != nil {
		return "address", err
	}
	// RFC 3461 §4.1: NEVER stands alone.
	if rc.Notify&dsn.NotifyNever != 0 && rc.Notify != dsn.NotifyNever {
		return "notify", errors.New("NEVER must stand alone (RFC 3461 §4.1)")
	}
	if rc.Diagnostic != "" {
		if rc.Reply != "" {
			return "diagnostic", errors.New("give a reply or a diagnostic, not both")
		}
		if _, _, err := splitDiagnostic(rc.Diagnostic); err != nil {
			return "diagnostic", err
		}
	}
	// What the DSN would say of it, by dsn's own rules.
	d := dsnRecipient(rc, smtputf8, diagnosticLimit(n))
	if err := d.Check(smtputf8); err != nil {
		return rc.jsonField(err), err
	}
	return "", nil
}

// jsonField names, as the event JSON does, the field behind a dsn error
// on the recipient's DSN fields.
func (rc *Delivery) jsonField(err error) string {
	var fe *dsn.FieldError
	errors.As(err, &fe)
	switch name, _, _ := strings.Cut(fe.Field, "."); name {
	case "OriginalRecipient":
		return "orcpt"
	case "Action":
		return "action"
	case "Status":
		return "status"
	case "RemoteMTA":
		return "remote_mta"
	case "WillRetryUntil":
		return "will_retry_until"
	case "DiagnosticType", "DiagnosticCode":
		if rc.Reply != "" {
			return "reply"
		}
		return "diagnostic"
	}
	return "address"
}

func (rc *Delivery) action() dsn.Action {
	if rc.Action == "" {
		return dsn.ActionFailed
	}
	return rc.Action
}

// status is the recipient's status, derived from its reply when not given.
func (rc *Delivery) status() dsn.Status {
	if !rc.Status.IsZero() {
		return rc.Status
	}
	a := rc.action()
	if a == dsn.ActionDelivered || a == dsn.ActionRelayed || a == dsn.ActionExpanded {
		if rc.Reply == "" {
			return dsn.Status{Class: 2}
		}
	}
	st, _ := dsn.StatusFromReply(rc.Reply, a == dsn.ActionFailed)
	return st
}

// splitDiagnostic splits a diagnostic into its type and its text. The
// type is an atom (RFC 3464 §2.3.6); the types in use, registered ("smtp")
// or private ("x-local", "X-Postfix"), are letters, digits and hyphens,
// and nothing else is accepted.
func splitDiagnostic(s string) (typ, text string, err error) {
	typ, text, ok := strings.Cut(s, ";")
	typ, text = strings.TrimSpace(typ), strings.TrimSpace(text)
	switch {
	case !ok || text == "":
		return "", "", errors.New(`want a type, ";" and text, such as "x-local; unknown user" (RFC 3464 §2.3.6)`)
	case typ == "" || strings.ContainsFunc(typ, func(r rune) bool {
		return r != '-' && (r < '0' || r > '9') && (r|0x20 < 'a' || r|0x20 > 'z')
	}):
		return "", "", fmt.Errorf("type %q is not letters, digits and hyphens (RFC 3464 §2.3.6)", typ)
	case mailsyntax.IndexControl(text) >= 0:
		return "", "", errors.New("control character in the text (RFC 3464 §2.3.6)")
	}
	return typ, text, nil
}

// validateReceipt checks what an event records of the message's receipt,
// for Event and ReplyEvent alike: the return path, the client's address
// and HELO name, and the SPF result recorded.
func validateReceipt(returnPath string, ip netip.Addr, helo string, result spf.Result, smtputf8 bool) error {
	rp, err := smtpsyntax.ReversePath(returnPath)
	if err == nil && rp != "" {
		err = smtpsyntax.CheckMailbox(rp, smtputf8)
	}
	if err != nil {
		return eventError("return_path", "%s", err)
	}
	// RFC 3464 §2.2.4: Received-From-MTA has no room for an IPv6 zone.
	if ip.Zone() != "" {
		return eventError("client_ip", "%s has a zone, which is local to this host", ip)
	}
	// RFC 5321 §4.1.1.1: a Domain or an address literal, in ASCII.
	if helo != "" {
		if err := smtpsyntax.CheckDomain(helo); err != nil {
			return eventError("helo", "%s", err)
		}
	}
	if result != "" {
		if r, err := spf.ParseResult(string(result)); err != nil || r != result {
			return eventError("spf", "unknown SPF result %q", result)
		}
	}
	return nil
}
