package policy

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// maxDiagnosticLen bounds the diagnostic of one recipient in a DSN: some
// dozen reply lines of 512 octets (RFC 5321 §4.5.3.1.5), where real
// replies take one to five. diagnosticBudget bounds them all together, so
// that maxRecipients recipients with the longest fields stay within the
// delivery-status part dsn.Compose writes and dsn.Parse reads (2 MiB).
const (
	maxDiagnosticLen = 8 << 10
	diagnosticBudget = 768 << 10
)

// diagnosticLimit is the longest diagnostic of each of n recipients.
func diagnosticLimit(n int) int { return min(maxDiagnosticLen, diagnosticBudget/max(n, 1)) }

// report sets r to the DSN's value for the given recipients, addressed
// to, reusing r's room for recipients.
func (p *Policy) report(r *dsn.Report, ev *Event, rcpts []Delivery, to string) {
	from := dsn.MTA{Name: ev.HELO, IP: ev.ClientIP}
	if len(ev.HELO) > 0 && ev.HELO[0] == '[' {
		from.Name = "" // an address literal says no more than the IP (RFC 3464 §2.2.4)
	}
	*r = dsn.Report{
		To:                 to,
		OriginalEnvelopeID: ev.EnvID,
		ReportingMTA:       p.defaults().reportingMTA,
		ReceivedFromMTA:    from,
		ArrivalDate:        ev.ReceivedAt,
		SMTPUTF8:           ev.SMTPUTF8,
		Recipients:         slices.Grow(r.Recipients[:0], len(rcpts))[:len(rcpts)],
	}
	for i := range rcpts {
		r.Recipients[i] = dsnRecipient(&rcpts[i], ev.SMTPUTF8, diagnosticLimit(len(rcpts)))
	}
}

// dsnRecipient maps a recipient to its RFC 3464 §2.3 fields.
func dsnRecipient(rc *Delivery, smtputf8 bool, diagLimit int) dsn.Recipient {
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
	out.DiagnosticCode = strings.TrimSpace(truncateUTF8(out.DiagnosticCode, diagLimit))
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
	opts.Now = p.Now // nil: time.Now, in dsn as here
	return opts
}

// compose writes r as a message with dsn.Compose, streaming the original.
// When the original breaks one of dsn's rules (a header too long to
// read), a report without it beats none: r is composed again returning
// nothing, and Message.Omitted says why. setText, when given, writes r's
// text knowing whether the original goes with it. An invalid field of r
// gives an error wrapping ErrInvalidEvent.
func (p *Policy) compose(sc *scratch, r *dsn.Report, opts dsn.ComposeOptions, setText func(r *dsn.Report, omitted string)) (*Message, error) {
	src, err := sc.orig.Reader()
	omitted := ""
	switch {
	case errors.Is(err, errNotReturnable):
		src, omitted = nil, err.Error()
	case err != nil:
		return nil, err
	}
	m, err := composeMessage(sc, r, src, opts, setText, omitted)
	if src != nil && errors.Is(err, dsn.ErrInvalidField) {
		if m2, err2 := composeMessage(sc, r, nil, opts, setText, err.Error()); err2 == nil {
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

// A message that returns the original in full is held in memory up to
// the return size limit and heldOverLimit more: room for the report's
// own parts and a returned header, which dsn.Compose reads up to 1 MiB.
// reportRoom is what the report adds, commonly, to an original it
// returns in full.
const (
	heldOverLimit = 1 << 20
	reportRoom    = 16 << 10
)

// composeMessage is one dsn.Compose call. The message is held in memory
// unless it returns the original in full and is too large: then it keeps
// what Message.WriteTo needs to compose it again, the same.
func composeMessage(sc *scratch, r *dsn.Report, src io.Reader, opts dsn.ComposeOptions, setText func(*dsn.Report, string), omitted string) (*Message, error) {
	if setText != nil {
		setText(r, omitted)
	}
	want, held := 0, int64(math.MaxInt64)
	if src != nil && (opts.Ret == dsn.RetFull || opts.Ret == "" && opts.DefaultReturn == dsn.ReturnFull) {
		// A full return may be too large to hold: fix what Compose would
		// draw anew, so that WriteTo composes the same message again.
		var err error
		if opts, err = opts.Settled(r); err != nil {
			return nil, err
		}
		held = opts.ReturnSizeLimit + heldOverLimit
		// Expect the original in full when it is within the limit.
		if l, ok := src.(lener); ok && (opts.ReturnSizeLimit == 0 || int64(l.Len()) <= opts.ReturnSizeLimit) {
			want = int(min(int64(l.Len())+reportRoom, held))
		}
	}
	s := &sc.spool
	s.reset(want, held)
	env, err := sc.composer.Compose(s, r, src, opts)
	if err != nil {
		return nil, err
	}
	m := &Message{MailFrom: env.MailFrom, RcptTo: env.RcptTo, Returned: env.Returned, Omitted: omitted, Size: env.Size}
	if s.held() {
		m.Data = s.message()
	} else {
		report := *r // sc's: WriteTo needs a copy of its own
		report.Recipients = slices.Clone(r.Recipients)
		m.compose = &composition{report: &report, opts: opts, original: sc.orig.open}
	}
	return m, nil
}

// dsnFor composes the DSN to the return path (rule outcome: bounce).
func (p *Policy) dsnFor(ev *Event, sc *scratch, rcpts []Delivery) (*Message, error) {
	p.report(&sc.report, ev, rcpts, ev.ReturnPath)
	return p.compose(sc, &sc.report, p.composeOptions(ev.Ret), nil)
}

// noticeFor composes the postmaster notice for a drop: the would-be DSN,
// addressed to the postmaster, with the original's header only, and a
// first part that says why it was not sent.
func (p *Policy) noticeFor(ev *Event, sc *scratch, rcpts []Delivery, suppressed int64, d *Decision) (*Message, error) {
	r := &sc.report
	p.report(r, ev, rcpts, p.Postmaster)
	returnPath := "<" + ev.ReturnPath + ">"
	r.Subject = "Postmaster notice: no delivery report sent to " + returnPath
	opts := p.composeOptions(dsn.RetHdrs)
	opts.Text = nil // the notice's own text says why it exists
	return p.compose(sc, r, opts, func(r *dsn.Report, omitted string) {
		attached := "its header is attached."
		switch {
		case omitted != "":
			attached = "its header could not be attached: " + omitted + "."
		case ev.Original == nil:
			attached = "the MTA gave no copy of it."
		}
		held := ""
		if suppressed > 0 {
			held = fmt.Sprintf("%d earlier notices were not sent: the notice limit was reached.\r\n\r\n", suppressed)
		}
		r.Text = fmt.Sprintf("This is the delivery status notification %s would have sent to %s.\r\n"+
			"It was not sent. Decision: %s.\r\n\r\n"+
			"The original message was accepted and its delivery failed; %s\r\n\r\n%s"+
			"The notification would have said:\r\n\r\n%s",
			r.ReportingMTA, returnPath, *d, attached, held, dsn.Summary(r)) // a copy: d itself stays off the heap
	})
}
