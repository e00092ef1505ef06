package dsn

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"unicode/utf8"
)

// makeText renders the human-readable part (RFC 6522 §3) into c.text:
// the caller's template, Report.Text, or a summary with one line per
// recipient.
func (c *composer) makeText() error {
	switch {
	case c.opts.Text != nil:
		if err := c.opts.Text(&c.text, c.r); err != nil {
			return err
		}
	case c.r.Text != "":
		c.text.WriteString(c.r.Text)
	default:
		c.summary()
	}
	if b := c.text; len(b) > 0 && b[len(b)-1] != '\n' {
		c.text.WriteByte('\n')
	}
	return nil
}

// summary writes the default text. It appends to a local slice, stored
// back once: see composer.start.
func (c *composer) summary() {
	t := []byte(c.text)
	t = append(t, "This is the mail system at "...)
	t = append(t, c.r.ReportingMTA...)
	t = append(t, ".\n\n"...)
	switch c.worstAction() {
	case ActionFailed:
		t = append(t, "Your message could not be delivered to one or more recipients.\n\n"...)
	case ActionDelayed:
		t = append(t, "Your message has not been delivered yet; delivery is still being tried.\n\n"...)
	default:
		t = append(t, "Your message was delivered as requested.\n\n"...)
	}
	for i := range c.r.Recipients {
		rc := &c.r.Recipients[i]
		t = append(t, '<')
		t = append(t, rc.FinalRecipient.Addr...)
		t = append(t, ">: "...)
		t = append(t, rc.Action...)
		t = append(t, " ("...)
		t = statusFor(rc).appendTo(t)
		t = append(t, ')')
		if !rc.WillRetryUntil.IsZero() {
			t = append(t, ", retrying until "...)
			t = appendDate(t, rc.WillRetryUntil)
		}
		if rc.DiagnosticCode != "" {
			t = append(t, ": "...)
			t = append(t, rc.DiagnosticCode...)
		}
		t = append(t, '\n')
	}
	c.text = t
}

// writeTextPart writes the first part: 7-bit ASCII as is; UTF-8 as is in
// an RFC 6533 report, whose path takes 8-bit anyway (RFC 6531 §3.1);
// anything else (controls, lines over 998 characters, or non-ASCII in a
// plain report) quoted-printable, safe on any path (RFC 2045 §6.7).
func (c *composer) writeTextPart() {
	c.delimiter(false)
	text := []byte(c.text)
	clean := isCleanText(text)
	switch {
	case clean && isASCIIText(text):
		c.field("Content-Type", "text/plain; charset=us-ascii")
	case clean && c.global && !c.opts.SevenBit && utf8.Valid(text):
		c.field("Content-Type", "text/plain; charset=utf-8")
		c.field("Content-Transfer-Encoding", "8bit")
	default:
		c.field("Content-Type", "text/plain; charset=utf-8")
		c.field("Content-Transfer-Encoding", "quoted-printable")
		c.out.WriteString("\r\n")
		q := quotedprintable.NewWriter(&c.out)
		q.Write(text)
		q.Close() // errors stick in c.out
		return
	}
	c.out.WriteString("\r\n")
	c.lines = crlfWriter{w: &c.out}
	c.lines.Write(text)
	c.lines.close()
}

// isCleanText reports whether b can go out unencoded (RFC 2045 §2.7,
// §2.8): no NUL or other controls but tab, CR and LF, and lines of at
// most 998 bytes.
func isCleanText(b []byte) bool {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) > maxLineLen {
			return false
		}
		for _, ch := range line {
			if ch == 0x7f || ch < ' ' && ch != '\t' && ch != '\r' {
				return false
			}
		}
	}
	return true
}

// encodeSubject returns s as is when ASCII, else as RFC 2047 encoded
// words, which every reader decodes.
func encodeSubject(s string) string {
	if isASCIIText(s) {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}
