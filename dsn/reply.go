package dsn

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// StatusFromReply maps an SMTP reply, single or multi-line ("550-...\r\n550
// ..."), to a Status and the text for Diagnostic-Code.
//
// The status is the reply's enhanced code when its class matches the
// reply code's first digit (RFC 3463 §2, RFC 2034 §4), else X.0.0 with X
// the reply code's first digit. A reply without a 2yz, 4yz or 5yz code
// gives 5.0.0 when permanent, else 4.0.0.
//
// The diagnostic is the reply with its lines joined by a single space
// (RFC 3464 §2.3.6 wants one field), each line trimmed; other control
// characters and the line separators U+2028 and U+2029 become spaces,
// invalid UTF-8 U+FFFD, a word over 900 bytes is broken by a space and a
// run of spaces that long is cut short, so Compose always takes the text as
// DiagnosticCode: in any report when the reply is ASCII, else in an
// SMTPUTF8 one (a plain report is 7-bit: RFC 3464 §2.1).
func StatusFromReply(reply string, permanent bool) (Status, string) {
	diag := joinReplyLines(reply)
	return replyStatus(diag, permanent), diag
}

// replyStatus reads the status from the first line of a reply.
func replyStatus(line string, permanent bool) Status {
	code, text, ok := smtpsyntax.ReplyLine(line)
	class := code / 100
	if !ok || class != 2 && class != 4 && class != 5 {
		return defaultStatus(permanent)
	}
	enhanced, _, _ := strings.Cut(text, " ")
	// RFC 3463 §2: the class must agree with the reply code.
	if st, err := ParseStatus(enhanced); err == nil && st.Class == class {
		return st
	}
	return Status{Class: class}
}

func defaultStatus(permanent bool) Status {
	if permanent {
		return Status{Class: 5}
	}
	return Status{Class: 4}
}

// joinReplyLines joins the lines of a reply, each trimmed, with single
// spaces, and makes the text one Compose takes as DiagnosticCode: controls
// and line separators become spaces before the trimming, invalid UTF-8
// becomes U+FFFD, a word too long to fold is broken by a space and a run
// of spaces too long to fold is cut short (RFC 5322 §2.1.1).
func joinReplyLines(reply string) string {
	if len(reply) <= maxWordLen-utf8.UTFMax && mailsyntax.IndexNotPrintable(reply) < 0 {
		// The common reply, one short line of printable ASCII: nothing to
		// join, replace or break.
		return strings.TrimSpace(reply)
	}
	var out, line []byte
	for l := range strings.Lines(reply) {
		line = line[:0]
		var p piece
		for _, r := range l {
			if mailsyntax.IsControl(r) {
				r = ' '
			}
			size := utf8.RuneLen(r)
			switch next := p.next(r == ' ', size); {
			case r == ' ' && next.n > maxWordLen-utf8.UTFMax:
				continue // leaves room for the character after the run
			case next.n > maxWordLen:
				line = append(line, ' ')
				p = piece{n: size}
			default:
				p = next
			}
			line = utf8.AppendRune(line, r)
		}
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, text...)
	}
	return string(out)
}
