package policy

import (
	"bytes"
	"fmt"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// report builds the DSN's value for the given recipients, addressed to.
func (p *Policy) report(ev *Event, rcpts []Recipient, to string) *dsn.Report {
	r := &dsn.Report{
		To:                 to,
		OriginalEnvelopeID: ev.EnvID,
		ReportingMTA:       p.reportingMTA(),
		ReceivedFromMTA:    dsn.MTA{Name: ev.HELO, IP: ev.ClientIP},
		ArrivalDate:        ev.ReceivedAt,
		SMTPUTF8:           ev.SMTPUTF8,
		Recipients:         make([]dsn.Recipient, len(rcpts)),
	}
	for i := range rcpts {
		r.Recipients[i] = dsnRecipient(&rcpts[i])
	}
	return r
}

// dsnRecipient maps a recipient to its RFC 3464 §2.3 fields.
func dsnRecipient(rc *Recipient) dsn.Recipient {
	out := dsn.Recipient{
		OriginalRecipient: rc.ORCPT,
		FinalRecipient:    dsn.Address{Type: "rfc822", Addr: rc.Address},
		Action:            rc.action(),
		Status:            rc.status(),
		LastAttemptDate:   rc.LastAttempt,
	}
	if !isASCII(rc.Address) {
		out.FinalRecipient.Type = "utf-8" // RFC 6533 §3
	}
	// RFC 3464 §2.3.5, §2.3.6: only when a remote MTA answered.
	if rc.RemoteMTA != "" {
		out.RemoteMTA = dsn.MTA{Name: rc.RemoteMTA}
		if rc.Reply != "" {
			_, out.DiagnosticCode = dsn.StatusFromReply(rc.Reply, out.Action == dsn.ActionFailed)
		}
	}
	// RFC 3464 §2.3.9: Will-Retry-Until only for delayed.
	if out.Action == dsn.ActionDelayed {
		out.WillRetryUntil = rc.WillRetryUntil
	}
	return out
}

// composeOptions are the policy's options for dsn.Compose with ret.
func (p *Policy) composeOptions(ret dsn.Ret) dsn.ComposeOptions {
	opts := p.DSN
	opts.Ret = ret
	opts.ReturnSizeLimit = p.ReturnSizeLimit
	opts.Now = p.now
	return opts
}

// compose writes r as a message with dsn.Compose, streaming the original.
func (p *Policy) compose(r *dsn.Report, orig *original, opts dsn.ComposeOptions) (*Message, error) {
	original, err := orig.Reader()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	env, err := dsn.Compose(&buf, r, original, opts)
	if err != nil {
		return nil, fmt.Errorf("policy: composing the DSN to <%s>: %w", r.To, err)
	}
	return &Message{MailFrom: env.MailFrom, RcptTo: env.RcptTo, Returned: env.Returned, Data: buf.Bytes()}, nil
}

// dsnFor composes the DSN to the return path (rule outcome: bounce).
func (p *Policy) dsnFor(ev *Event, orig *original, rcpts []Recipient) (*Message, error) {
	return p.compose(p.report(ev, rcpts, ev.ReturnPath), orig, p.composeOptions(ev.Ret))
}

// noticeFor composes the postmaster notice for a drop: the would-be DSN,
// addressed to the postmaster, with the original's header only, and a
// first part that says why it was not sent.
func (p *Policy) noticeFor(ev *Event, orig *original, rcpts []Recipient, d *Decision) (*Message, error) {
	r := p.report(ev, rcpts, p.Postmaster)
	returnPath := "<" + ev.ReturnPath + ">"
	r.Subject = "Postmaster notice: no delivery report sent to " + returnPath
	r.Text = fmt.Sprintf("This is the delivery status notification %s would have sent to %s.\r\n"+
		"It was not sent. Decision: %s.\r\n\r\n"+
		"The original message was accepted and its delivery failed; its header is attached.\r\n",
		r.ReportingMTA, returnPath, d)
	opts := p.composeOptions(dsn.RetHdrs)
	opts.Text = nil // the notice's own text says why it exists
	return p.compose(r, orig, opts)
}
