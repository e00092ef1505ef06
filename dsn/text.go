package dsn

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
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
	if bytes.IndexByte(c.text, '\r') >= 0 {
		// CR, LF and CRLF each make one line break, as Parse reads them
		// back: LF alone here, so that what is checked and counted below
		// is what goes out, CRLF on the wire. lfText rewrites in place.
		c.text = lfText(c.text)
	}
	if b := c.text; len(b) > 0 && b[len(b)-1] != '\n' {
		c.text.WriteByte('\n')
	}
	switch {
	case c.opts.Text != nil:
		return c.checkTextSize("ComposeOptions.Text")
	case c.r.Text != "":
		return c.checkTextSize("Text")
	}
	return nil // the summary keeps within maxTextLen itself: maxSummaryLen
}

// checkTextSize refuses a caller's text whose part, as written, is longer
// than Parse reads back (maxTextLen): it would not read back whole. Short
// texts skip the count: CRLF line breaks at most double a text, and
// quoted-printable at most triples it, plus a soft line break per 75.
func (c *composer) checkTextSize(field string) error {
	text := []byte(c.text)
	if len(text) <= maxTextLen/4 {
		return nil
	}
	var n byteCounter
	if c.textEncoding(text) == encQuotedPrintable {
		writeQuotedPrintable(&n, text)
	} else {
		n = byteCounter(len(text) + bytes.Count(text, []byte{'\n'}))
	}
	// The CRLF before the next delimiter counts too (RFC 2046 §5.1.1).
	if n+2 > maxTextLen {
		return fieldError(field, "human-readable part over 64 KiB as written, more than Parse reads back (RFC 6522 §3)")
	}
	return nil
}

// byteCounter counts the bytes written to it.
type byteCounter int

func (n *byteCounter) Write(p []byte) (int, error) {
	*n += byteCounter(len(p))
	return len(p), nil
}

// summary writes the default text. It appends to a local slice, stored
// back once: see composer.start.
func (c *composer) summary() { c.text = appendSummary(c.text, c.r, c.worstAction()) }

// Summary returns the human-readable text Compose writes for r when
// neither Report.Text nor ComposeOptions.Text is set (RFC 6522 §3): who
// reports, and what became of each recipient, with its diagnostic. Text
// of one's own can end with it. It lists recipients up to about 16 KiB,
// then says how many more the delivery-status part lists: so that Parse
// reads the text back whole (64 KiB as written, even quoted-printable),
// however many recipients a report has.
func Summary(r *Report) string {
	c := composer{r: r}
	return string(appendSummary(nil, r, c.worstAction()))
}

// maxSummaryLen bounds the default text before its last line: past it,
// recipients are counted, not listed. Quoted-printable at most triples a
// text, and adds a soft line break per 73 bytes or so, so even encoded
// (a UTF-8 address in a plain report, RFC 2045 §6.7) the part stays near
// 52 KiB, within maxTextLen.
const maxSummaryLen = 16 << 10

// appendSummary appends the default text for r, whose worst action is
// worst, to t.
func appendSummary(t []byte, r *Report, worst Action) []byte {
	start := len(t)
	t = append(t, "This is the mail system at "...)
	t = append(t, r.ReportingMTA...)
	t = append(t, ".\n\n"...)
	switch worst {
	case ActionFailed:
		t = append(t, "Your message could not be delivered to one or more recipients.\n\n"...)
	case ActionDelayed:
		t = append(t, "Your message has not been delivered yet; delivery is still being tried.\n\n"...)
	default:
		t = append(t, "Your message was delivered as requested.\n\n"...)
	}
	for i := range r.Recipients {
		line := len(t)
		if t = appendRecipientLine(t, &r.Recipients[i]); len(t)-start > maxSummaryLen {
			return appendNotListed(t[:line], len(r.Recipients)-i)
		}
	}
	return t
}

// appendRecipientLine appends the summary's line for rc: its address,
// action, status and diagnostic.
func appendRecipientLine(t []byte, rc *Recipient) []byte {
	t = append(t, '<')
	t = append(t, rc.FinalRecipient.Addr...)
	t = append(t, ">: "...)
	t = append(t, rc.Action...)
	t = append(t, " ("...)
	t = statusFor(rc).appendTo(t)
	t = append(t, ')')
	if !rc.WillRetryUntil.IsZero() {
		t = append(t, ", retrying until "...)
		t = mailsyntax.AppendDate(t, rc.WillRetryUntil)
	}
	if rc.DiagnosticCode != "" {
		t = append(t, ": "...)
		t = append(t, rc.DiagnosticCode...)
	}
	return append(t, '\n')
}

// appendNotListed ends a summary that left n recipients out.
func appendNotListed(t []byte, n int) []byte {
	t = strconv.AppendInt(t, int64(n), 10)
	if n == 1 {
		t = append(t, " more recipient is"...)
	} else {
		t = append(t, " more recipients are"...)
	}
	return append(t, " not listed here; the delivery-status part lists every recipient.\n"...)
}

// The transfer encodings of the parts (RFC 2045 §6.1).
const (
	enc7bit            = "7bit"
	enc8bit            = "8bit"
	encQuotedPrintable = "quoted-printable"
	encBinary          = "binary"
)

// textEncoding chooses how to write the first part: 7-bit ASCII as is;
// UTF-8 as is in an RFC 6533 report, whose path takes 8-bit anyway
// (RFC 6531 §3.1); anything else (controls, lines over 998 characters, or
// non-ASCII in a plain report) quoted-printable, safe on any path
// (RFC 2045 §6.7).
func (c *composer) textEncoding(text []byte) string {
	clean := isCleanText(text)
	switch {
	case clean && mailsyntax.IsASCII(text):
		return enc7bit
	case clean && c.global && !c.opts.SevenBit && utf8.Valid(text):
		return enc8bit
	}
	return encQuotedPrintable
}

// writeTextPart writes the first part in the encoding textEncoding chose.
func (c *composer) writeTextPart() {
	c.delimiter(false)
	text := []byte(c.text)
	switch c.textEnc {
	case enc7bit:
		c.field("Content-Type", "text/plain; charset=us-ascii")
	case enc8bit:
		c.field("Content-Type", "text/plain; charset=utf-8")
		c.field("Content-Transfer-Encoding", enc8bit)
	default:
		c.field("Content-Type", "text/plain; charset=utf-8")
		c.field("Content-Transfer-Encoding", encQuotedPrintable)
		c.out.WriteString("\r\n")
		writeQuotedPrintable(&c.out, text) // errors stick in c.out
		return
	}
	c.out.WriteString("\r\n")
	c.lines = crlfWriter{w: &c.out}
	c.lines.Write(text)
	c.lines.close()
}

// isCleanText reports whether b, with LF line breaks, can go out unencoded
// (RFC 2045 §2.7, §2.8): no NUL or other controls but tab and LF, and
// lines of at most 998 bytes.
func isCleanText(b []byte) bool {
	lineStart := 0
	for i, ch := range b {
		if !mailsyntax.IsCtl(ch) || ch == '\t' {
			continue
		}
		if ch != '\n' || i-lineStart > maxLineLen {
			return false
		}
		lineStart = i + 1
	}
	return len(b)-lineStart <= maxLineLen
}
