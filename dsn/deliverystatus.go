package dsn

import (
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// writeStatusPart writes the second part: message/delivery-status, or
// message/global-delivery-status for an RFC 6533 report, with the fields
// in the order of RFC 3464 §2.2 and §2.3.
func (c *composer) writeStatusPart() {
	r := c.r
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
	b = appendDate(b, t)
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
