package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// maxDiagnosticLen bounds the diagnostic of one recipient in a DSN: some
// dozen reply lines of 512 octets (RFC 5321 §4.5.3.1.5), where real
// replies take one to five.
const maxDiagnosticLen = 8 << 10

// report builds the DSN's value for the given recipients, addressed to.
func (p *Policy) report(ev *Event, rcpts []Delivery, to string) *dsn.Report {
	from := dsn.MTA{Name: ev.HELO, IP: ev.ClientIP}
	if len(ev.HELO) > 0 && ev.HELO[0] == '[' {
		from.Name = "" // an address literal says no more than the IP (RFC 3464 §2.2.4)
	}
	r := &dsn.Report{
		To:                 to,
		OriginalEnvelopeID: ev.EnvID,
		ReportingMTA:       p.defaults().reportingMTA,
		ReceivedFromMTA:    from,
		ArrivalDate:        ev.ReceivedAt,
		SMTPUTF8:           ev.SMTPUTF8,
		Recipients:         make([]dsn.Recipient, len(rcpts)),
	}
	for i := range rcpts {
		r.Recipients[i] = dsnRecipient(&rcpts[i], ev.SMTPUTF8)
	}
	return r
}

// dsnRecipient maps a recipient to its RFC 3464 §2.3 fields.
func dsnRecipient(rc *Delivery, smtputf8 bool) dsn.Recipient {
	out := dsn.Recipient{
		OriginalRecipient: rc.ORCPT,
		FinalRecipient:    dsn.Address{Type: "rfc822", Addr: rc.Address},
		Action:            rc.action(),
		Status:            rc.status(),
		LastAttemptDate:   rc.LastAttempt,
	}
	if !mailsyntax.IsASCII(rc.Address) {
		out.FinalRecipient.Type = "utf-8" // RFC 6533 §3
	}
	// RFC 3464 §2.3.5: only when a remote MTA answered.
	if rc.RemoteMTA != "" {
		out.RemoteMTA = dsn.MTA{Name: rc.RemoteMTA}
	}
	// RFC 3464 §2.3.6: the transport's own words, remote or local, so that
	// the sender learns why.
	switch {
	case rc.Reply != "":
		_, out.DiagnosticCode = dsn.StatusFromReply(rc.Reply, out.Action == dsn.ActionFailed)
	case rc.Diagnostic != "":
		out.DiagnosticType, out.DiagnosticCode, _ = splitDiagnostic(rc.Diagnostic)
	}
	// Possibly network input: a reply of megabytes tells the sender no
	// more than its first kilobytes, and whatever a server answered must
	// not turn the report into an RFC 6533 one.
	out.DiagnosticCode = strings.TrimSpace(truncateUTF8(out.DiagnosticCode, maxDiagnosticLen))
	if !smtputf8 {
		out.DiagnosticCode = asciiText(out.DiagnosticCode)
	}
	// RFC 3464 §2.3.9: Will-Retry-Until only for delayed.
	if out.Action == dsn.ActionDelayed {
		out.WillRetryUntil = rc.WillRetryUntil
	}
	return out
}

// composeOptions are the policy's options for dsn.Compose with ret.
func (p *Policy) composeOptions(ret dsn.Ret) dsn.ComposeOptions {
	opts := p.ComposeOptions
	opts.Ret = ret
	switch opts.ReturnSizeLimit = p.ReturnSizeLimit; {
	case p.ReturnSizeLimit == 0:
		opts.ReturnSizeLimit = DefaultReturnSizeLimit
	case p.ReturnSizeLimit < 0:
		opts.ReturnSizeLimit = 0 // dsn: no limit
	}
	opts.Now = p.now
	return opts
}

// compose writes r as a message with dsn.Compose, streaming the original.
// When the original breaks one of dsn's rules (a header too long to
// read), a report without it beats none: r is composed again returning
// nothing, and Message.Omitted says why. setText, when given, writes r's
// text knowing whether the original goes with it. An invalid field of r
// gives an error wrapping ErrInvalidEvent.
func (p *Policy) compose(r *dsn.Report, orig *original, opts dsn.ComposeOptions, setText func(r *dsn.Report, omitted string)) (*Message, error) {
	src, err := orig.Reader()
	omitted := ""
	switch {
	case errors.Is(err, errNotReturnable):
		src, omitted = nil, err.Error()
	case err != nil:
		return nil, err
	}
	m, err := composeMessage(r, src, opts, setText, omitted)
	if src != nil && errors.Is(err, dsn.ErrInvalidField) {
		if m2, err2 := composeMessage(r, nil, opts, setText, err.Error()); err2 == nil {
			return m2, nil
		}
	}
	if errors.Is(err, dsn.ErrInvalidField) {
		err = fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if err != nil {
		return nil, fmt.Errorf("policy: composing the DSN to <%s>: %w", r.To, err)
	}
	return m, nil
}

// composeMessage is one dsn.Compose call into memory.
func composeMessage(r *dsn.Report, src io.Reader, opts dsn.ComposeOptions, setText func(*dsn.Report, string), omitted string) (*Message, error) {
	if setText != nil {
		setText(r, omitted)
	}
	var buf bytes.Buffer
	env, err := dsn.Compose(&buf, r, src, opts)
	if err != nil {
		return nil, err
	}
	return &Message{MailFrom: env.MailFrom, RcptTo: env.RcptTo, Returned: env.Returned, Omitted: omitted, Data: buf.Bytes()}, nil
}

// dsnFor composes the DSN to the return path (rule outcome: bounce).
func (p *Policy) dsnFor(ev *Event, orig *original, rcpts []Delivery) (*Message, error) {
	return p.compose(p.report(ev, rcpts, ev.ReturnPath), orig, p.composeOptions(ev.Ret), nil)
}

// noticeFor composes the postmaster notice for a drop: the would-be DSN,
// addressed to the postmaster, with the original's header only, and a
// first part that says why it was not sent.
func (p *Policy) noticeFor(ev *Event, orig *original, rcpts []Delivery, d *Decision) (*Message, error) {
	r := p.report(ev, rcpts, p.Postmaster)
	returnPath := "<" + ev.ReturnPath + ">"
	r.Subject = "Postmaster notice: no delivery report sent to " + returnPath
	opts := p.composeOptions(dsn.RetHdrs)
	opts.Text = nil // the notice's own text says why it exists
	return p.compose(r, orig, opts, func(r *dsn.Report, omitted string) {
		attached := "its header is attached."
		switch {
		case omitted != "":
			attached = "its header could not be attached: " + omitted + "."
		case ev.Original == nil:
			attached = "the MTA gave no copy of it."
		}
		r.Text = fmt.Sprintf("This is the delivery status notification %s would have sent to %s.\r\n"+
			"It was not sent. Decision: %s.\r\n\r\n"+
			"The original message was accepted and its delivery failed; %s\r\n\r\n"+
			"The notification would have said:\r\n\r\n%s",
			r.ReportingMTA, returnPath, d, attached, dsn.Summary(r))
	})
}
