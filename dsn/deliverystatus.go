package dsn

import (
	"io"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// writeStatusPart writes the second part: message/delivery-status, or
// message/global-delivery-status for an RFC 6533 report.
func (c *composer) writeStatusPart() {
	c.delimiter(false)
	if c.global {
		c.field("Content-Type", "message/global-delivery-status")
		if c.status8bit {
			c.field("Content-Transfer-Encoding", "8bit")
		}
	} else {
		c.field("Content-Type", "message/delivery-status")
	}
	c.out.WriteString("\r\n")
	c.writeStatusFields()
}

// writeStatusFields writes the body of the delivery-status part: the
// fields in the order of RFC 3464 §2.2 and §2.3.
func (c *composer) writeStatusFields() {
	r := c.r
	// Per-message fields, RFC 3464 §2.2.
	if r.OriginalEnvelopeID != "" {
		c.field("Original-Envelope-Id", r.OriginalEnvelopeID) // §2.2.1
	}
	b := c.start("Reporting-MTA") // §2.2.2
	b = append(b, "dns; "...)
	b = append(b, r.ReportingMTA...)
	c.end(b)
	if r.DSNGateway != "" {
		b := c.start("DSN-Gateway") // §2.2.3
		b = append(b, "dns; "...)
		b = append(b, r.DSNGateway...)
		c.end(b)
	}
	c.mtaField("Received-From-MTA", r.ReceivedFromMTA) // §2.2.4
	c.dateField("Arrival-Date", r.ArrivalDate)         // §2.2.5
	c.extensionFields(r.Extensions)

	// Per-recipient fields, RFC 3464 §2.3, each group after a blank line.
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		c.out.WriteString("\r\n")
		if rc.OriginalRecipient != (Address{}) {
			c.addressField("Original-Recipient", rc.OriginalRecipient) // §2.3.1
		}
		c.addressField("Final-Recipient", rc.FinalRecipient) // §2.3.2
		c.field("Action", string(rc.Action))                 // §2.3.3
		b := c.start("Status")                               // §2.3.4
		b = statusFor(rc).appendTo(b)
		c.end(b)
		if hasRemote(rc) {
			c.mtaField("Remote-MTA", rc.RemoteMTA) // §2.3.5
		}
		if writesDiagnostic(rc) {
			b := c.start("Diagnostic-Code") // §2.3.6
			b = append(b, diagnosticType(rc)...)
			b = append(b, "; "...)
			b = append(b, rc.DiagnosticCode...)
			c.end(b)
		}
		c.dateField("Last-Attempt-Date", rc.LastAttemptDate) // §2.3.7
		if rc.FinalLogID != "" {
			c.field("Final-Log-ID", rc.FinalLogID) // §2.3.8
		}
		c.dateField("Will-Retry-Until", rc.WillRetryUntil) // §2.3.9
		c.extensionFields(rc.Extensions)
	}
}

// checkStatusSize refuses a report whose delivery-status part, as
// written, is longer than Parse reads (maxStatusLen): Parse(Compose(r))
// would fail. statusBound clears nearly every report cheaply; only one it
// cannot clear is measured exactly, by writing its fields to a counter.
func (c *composer) checkStatusSize() error {
	if statusBound(c.r) <= maxStatusLen || c.statusLen() <= maxStatusLen {
		return nil
	}
	return fieldError("Recipients", "delivery-status part over "+statusLimit()+
		" as written, more than Parse reads back; report the recipients in several DSNs (RFC 3464 §2.1)")
}

// statusLen is the length of the delivery-status part as Parse measures
// it: the fields writeStatusFields writes and the CRLF before the next
// delimiter (RFC 2046 §5.1.1). It runs before anything is written, and
// leaves the sink as it found it.
func (c *composer) statusLen() int64 {
	c.out.w = io.Discard
	c.writeStatusFields()
	c.out.flush()
	n := c.out.n + int64(len("\r\n"))
	c.out = sink{buf: c.out.buf}
	return n
}

// statusBound is an upper bound of statusLen for a report check passed,
// from the lengths of its strings, writing nothing. Every field counts as
// present, with the longest form of what is not a string of r, plus
// fieldOverhead: its CRLF and one fold. A sixteenth of the whole covers
// the other folds: mailsyntax.WriteFolded folds a line of L bytes at most
// 2*(L/79)+1 times, as two folds in a row leave at least 79 bytes behind.
func statusBound(r *Report) int {
	n := messageFixedLen + len(r.OriginalEnvelopeID) + len(r.ReportingMTA) + len(r.DSNGateway) +
		len(r.ReceivedFromMTA.Name) + extensionsLen(r.Extensions)
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		n += recipientFixedLen + addressLen(rc.OriginalRecipient, r.SMTPUTF8) + addressLen(rc.FinalRecipient, r.SMTPUTF8) +
			len(rc.RemoteMTA.Name) + len(rc.DiagnosticType) + len(rc.DiagnosticCode) + len(rc.FinalLogID) +
			extensionsLen(rc.Extensions)
	}
	return n + n/16
}

// What statusBound counts beyond the strings of a report.
const (
	// fieldOverhead is ": " after a field's name, its CRLF and one fold.
	fieldOverhead = len(": \r\n\r\n")
	// maxMTALen is the longest mtaField value beside its name: an IPv6
	// address literal of 39 characters (RFC 5321 §4.1.3; no zone).
	maxMTALen = len("dns; [IPv6:]") + len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	// maxDateLen is the longest mailsyntax.AppendDate output: 31 bytes for a year of
	// 0 to 9999, else time's own layout, which writes a year of up to 12
	// digits and a sign, and a zone of up to 16 digits of hours.
	maxDateLen = 64
	// messageFixedLen is the per-message fields of RFC 3464 §2.2 and the
	// CRLF before the delimiter that ends the part.
	messageFixedLen = 5*fieldOverhead + len("\r\n") +
		len("Original-Envelope-Id"+"Reporting-MTA"+"DSN-Gateway"+"Received-From-MTA"+"Arrival-Date") +
		2*len("dns; ") + maxMTALen + maxDateLen
	// recipientFixedLen is the per-recipient fields of RFC 3464 §2.3,
	// with the longest address type (rfc822), action (delivered), status
	// and diagnostic type (smtp), and the blank line before the group.
	recipientFixedLen = len("\r\n") + 9*fieldOverhead +
		len("Original-Recipient"+"Final-Recipient"+"Action"+"Status"+"Remote-MTA"+
			"Diagnostic-Code"+"Last-Attempt-Date"+"Final-Log-ID"+"Will-Retry-Until") +
		2*len("rfc822; ") + len(ActionDelivered) + len("5.999.999") + maxMTALen + len("smtp; ") + 2*maxDateLen
)

// addressLen is what a typed address adds, as addressField writes it, to
// the "rfc822; " recipientFixedLen counts: its type and its address.
func addressLen(a Address, global bool) int {
	if isUTF8Type(a) {
		return len(a.Type) + utf8AddrLen(a.Addr, global)
	}
	return len(a.Type) + len(a.Addr)
}

// extensionsLen is the length of extension fields as written, each with
// fieldOverhead.
func extensionsLen(fs []Field) int {
	n := 0
	for _, f := range fs {
		n += len(f.Name) + len(f.Value) + fieldOverhead
	}
	return n
}

func hasRemote(rc *Recipient) bool { return rc.RemoteMTA != (MTA{}) }

// writesDiagnostic reports whether Diagnostic-Code is written for rc:
// whenever it has one. RFC 3464 §2.3.6 wants an SMTP diagnostic only
// when a remote MTA answered; the caller sets it only then.
func writesDiagnostic(rc *Recipient) bool { return rc.DiagnosticCode != "" }

func diagnosticType(rc *Recipient) string {
	if rc.DiagnosticType == "" {
		return "smtp"
	}
	return rc.DiagnosticType
}

// mtaField writes "dns; name (ip)" (RFC 3464 §2.2.4, §2.3.5); an IP alone
// is written as an address literal. A zero MTA writes nothing.
func (c *composer) mtaField(name string, m MTA) {
	if m == (MTA{}) {
		return
	}
	b := c.start(name)
	b = append(b, "dns; "...)
	switch {
	case m.Name == "":
		// RFC 5321 §4.1.3: an address literal, tagged for IPv6.
		b = append(b, '[')
		if m.IP.Is6() {
			b = append(b, "IPv6:"...)
		}
		b = m.IP.AppendTo(b)
		b = append(b, ']')
	case m.IP.IsValid():
		b = append(b, m.Name...)
		b = append(b, " ("...)
		b = m.IP.AppendTo(b)
		b = append(b, ')')
	default:
		b = append(b, m.Name...)
	}
	c.end(b)
}

// dateField writes an RFC 5322 date with a numeric zone (RFC 3464 §2.1.5);
// a zero time writes nothing.
func (c *composer) dateField(name string, t time.Time) {
	if t.IsZero() {
		return
	}
	b := c.start(name)
	b = mailsyntax.AppendDate(b, t)
	c.end(b)
}

// addressField writes "type; address" (RFC 3464 §2.3.1, §2.3.2). A utf-8
// address, or an rfc822 one holding UTF-8, goes as type utf-8 in the form
// of RFC 6533 §3 the part allows: 7-bit escapes in message/delivery-status,
// raw UTF-8 in message/global-delivery-status.
func (c *composer) addressField(name string, a Address) {
	typ := a.Type
	if typ == "" {
		typ = "rfc822"
	}
	utf8Type := isUTF8Type(a)
	if utf8Type {
		typ = "utf-8"
	}
	b := c.start(name)
	b = append(b, typ...)
	b = append(b, "; "...)
	if utf8Type {
		b = appendUTF8Addr(b, a.Addr, c.global)
	} else {
		b = append(b, a.Addr...)
	}
	c.end(b)
}

func (c *composer) extensionFields(fs []Field) {
	for _, f := range fs {
		c.field(f.Name, f.Value)
	}
}

// statusIsASCII reports whether the delivery-status fields are all ASCII,
// so the global part needs no 8bit label.
func (c *composer) statusIsASCII() bool {
	r := c.r
	ascii := mailsyntax.IsASCII(r.OriginalEnvelopeID) && fieldsASCII(r.Extensions)
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		ascii = ascii && mailsyntax.IsASCII(rc.OriginalRecipient.Addr) && mailsyntax.IsASCII(rc.FinalRecipient.Addr) &&
			mailsyntax.IsASCII(rc.DiagnosticCode) && mailsyntax.IsASCII(rc.FinalLogID) && fieldsASCII(rc.Extensions)
	}
	return ascii
}

func fieldsASCII(fs []Field) bool {
	for _, f := range fs {
		if !mailsyntax.IsASCII(f.Value) {
			return false
		}
	}
	return true
}
