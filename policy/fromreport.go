package policy

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// EventFromReport rebuilds the Event that a DSN our MTA composed reports
// on, so that the DSN can be decided on before it leaves: a bounce milter
// reads the DSN Postfix wrote with dsn.Parse, decides on the event, and
// lets the DSN go or drops it. returnPath is the DSN's envelope recipient,
// the original's return path; when empty, the DSN's To is used.
//
// The client's IP address and HELO name come from Received-From-MTA
// (RFC 3464 §2.2.4), or, when it gives none (Postfix and Exim write
// none), from our own topmost Received field of the returned header: the
// first Received field, when its by clause names our host (AuthservID or
// ReportingMTA, as for TrustRecordedHeaders), read strictly with the
// forms of Postfix, sendmail and Exim (RFC 5321 §4.4). Else they stay
// unknown, and SPF cannot be evaluated: the rules then see SPF none. A
// HELO name that is no domain or address literal stays unknown too.
// Authenticated is set when that field's with clause says SMTP AUTH
// (RFC 3848: "with ESMTPSA"), read as strictly.
// ReceivedAt is Arrival-Date, else the date of that Received field.
//
// EnvID is Original-Envelope-Id; Ret is RetFull or RetHdrs when the DSN
// returned the original in full or its header, and SMTPUTF8 is set for an
// RFC 6533 report. Each recipient's Final-Recipient, Original-Recipient,
// Action, Status, Last-Attempt-Date and, for delayed, Will-Retry-Until
// are kept (a success action, which the MTA writes only on request, with
// Notify SUCCESS); Remote-MTA when it names a host. A Diagnostic-Code of type
// smtp that starts with a reply code becomes Reply; any other becomes
// Diagnostic, "type; text" ("smtp; text" for a reply without a code,
// "x-postfix; unknown user: \"x\"" for Postfix's own), tabs in its text
// as spaces.
//
// Original is the returned header, as dsn.Parse read it (in order, at
// most 64 KiB): the rules read it for loops and trace fields. dsn.Parse
// skips a returned body, so even when the DSN returned the original in
// full, a DSN composed from the event returns the header only in
// message/rfc822 form, without its body.
//
// The event is checked with Event.Validate; errors are *dsn.FieldError
// values wrapping ErrInvalidEvent.
func (p *Policy) EventFromReport(r *dsn.Report, returnPath string) (Event, error) {
	if r == nil {
		return Event{}, eventError("report", "no report")
	}
	ev := Event{
		ReturnPath: returnPath,
		ReceivedAt: r.ArrivalDate,
		EnvID:      r.OriginalEnvelopeID,
		Ret:        retOf(r.Returned),
		SMTPUTF8:   r.SMTPUTF8,
		Recipients: make([]Delivery, 0, len(r.Recipients)),
	}
	if ev.ReturnPath == "" {
		ev.ReturnPath = r.To
	}
	if ev.ReturnPath == "" {
		return Event{}, eventError("return_path", "unknown: give the DSN's envelope recipient, or a DSN with a To field")
	}
	p.clientFromReport(r, &ev)
	for i := range r.Recipients {
		d, err := deliveryFromReport(&r.Recipients[i])
		if err != nil {
			return Event{}, eventError(fmt.Sprintf("recipients[%d].address", i), "%s", err)
		}
		ev.Recipients = append(ev.Recipients, d)
	}
	if r.ReturnedHeader != nil {
		var b bytes.Buffer
		if _, err := r.ReturnedHeader.WriteTo(&b); err != nil {
			return Event{}, eventError("original", "%s", rule(err))
		}
		ev.Original = OriginalBytes(b.Bytes())
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// retOf is the RET a report's returned content honoured (RFC 3461 §4.3).
func retOf(c dsn.ReturnedContent) dsn.Ret {
	switch c {
	case dsn.ReturnFull:
		return dsn.RetFull
	case dsn.ReturnHeaders:
		return dsn.RetHdrs
	}
	return ""
}

// clientFromReport sets the event's client IP, HELO name and, when
// Arrival-Date gave none, receipt time from Received-From-MTA and from
// our own topmost Received field.
func (p *Policy) clientFromReport(r *dsn.Report, ev *Event) {
	from := r.ReceivedFromMTA
	ev.ClientIP = from.IP
	setHELO(ev, from.Name)
	// RFC 5321 §4.4: each MTA prepends its Received field, so the first
	// is the one our MTA added at receipt, if any is ours.
	recv := r.ReturnedHeader.Get("Received")
	if recv == "" || !p.defaults().receivedByUs(recv) {
		return
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt, _ = mailsyntax.ReceivedDate(recv)
	}
	ev.Authenticated = authenticatedProtocol(mailsyntax.ReceivedWith(recv))
	if ev.ClientIP.IsValid() {
		return
	}
	if helo, ip, ok := mailsyntax.ReceivedFrom(recv); ok {
		ev.ClientIP = ip
		if ev.HELO == "" {
			setHELO(ev, helo)
		}
	}
}

// authenticatedProtocol reports whether a with clause's protocol says the
// client authenticated with SMTP AUTH: RFC 3848 §2 ("ESMTPA", "ESMTPSA",
// "LMTPA", "LMTPSA") and RFC 6531 §3.7.4 ("UTF8SMTPA", "UTF8SMTPSA",
// "UTF8LMTPA", "UTF8LMTPSA"), in any case. Our MTA writes it in its own
// field only after AUTH: an authenticated user's return path is genuine
// (rule 6), and SPF on the user's roaming address would drop our own
// users' DSNs.
func authenticatedProtocol(proto string) bool {
	switch strings.ToUpper(proto) {
	case "ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA", "UTF8LMTPA", "UTF8LMTPSA":
		return true
	}
	return false
}

// setHELO sets the event's HELO name when name is a domain or an address
// literal (RFC 5321 §4.1.1.1): a client may say anything in HELO, and a
// name that is neither tells SPF nothing.
func setHELO(ev *Event, name string) {
	if name != "" && smtpsyntax.CheckDomain(name) == nil {
		ev.HELO = name
	}
}

// deliveryFromReport maps a recipient's RFC 3464 §2.3 fields back to a
// Delivery. Its error is about the address.
func deliveryFromReport(rc *dsn.Recipient) (Delivery, error) {
	// RFC 3464 §2.3.2, RFC 6533 §3: only these types hold a mail address.
	switch rc.FinalRecipient.Type {
	case "", "rfc822", "utf-8":
	default:
		return Delivery{}, fmt.Errorf("Final-Recipient of type %q is no mail address (want rfc822 or utf-8, RFC 3464 §2.3.2)", rc.FinalRecipient.Type)
	}
	d := Delivery{
		Address:     rc.FinalRecipient.Addr,
		ORCPT:       rc.OriginalRecipient,
		Action:      rc.Action,
		Status:      rc.Status,
		LastAttempt: rc.LastAttemptDate,
	}
	switch rc.Action {
	case dsn.ActionDelayed:
		// RFC 3464 §2.3.9: Will-Retry-Until only for delayed.
		d.WillRetryUntil = rc.WillRetryUntil
	case dsn.ActionDelivered, dsn.ActionRelayed, dsn.ActionExpanded:
		// RFC 3461 §4.1: the MTA reports success only when NOTIFY asked
		// for it; without NOTIFY the rules would suppress the report.
		d.Notify = dsn.NotifySuccess
	}
	// RFC 3464 §2.3.5: informative; a name the event cannot hold (an IP
	// alone, a trailing dot) is left out rather than failing the event.
	if smtpsyntax.CheckHostname(rc.RemoteMTA.Name) == nil {
		d.RemoteMTA = rc.RemoteMTA.Name
	}
	// RFC 3464 §2.3.6: "smtp; 550 5.1.1 ..." is the remote reply; any
	// other type, or smtp text without a reply code (RFC 5321 §4.2), is a
	// diagnostic of its own.
	typ := orDefault(rc.DiagnosticType, "smtp")
	switch code := rc.DiagnosticCode; {
	case code == "":
	case typ == "smtp" && isReply(code):
		d.Reply = code
	default:
		d.Diagnostic = typ + "; " + strings.ReplaceAll(code, "\t", " ")
	}
	return d, nil
}

// isReply reports whether s starts with an SMTP reply code of a failure,
// a delay or a success (RFC 5321 §4.2.1).
func isReply(s string) bool {
	code, _, ok := smtpsyntax.ReplyLine(s)
	return ok && code >= 200 && code < 600 && code/100 != 3
}
