package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// firstFailure returns the first recipient that did not succeed, or nil.
func firstFailure(rcpts []Delivery) *Delivery {
	for i := range rcpts {
		if a := rcpts[i].action(); a == dsn.ActionFailed || a == dsn.ActionDelayed {
			return &rcpts[i]
		}
	}
	return nil
}

// maxReplyLine is the longest reply line, code and CRLF included
// (RFC 5321 §4.5.3.1.5).
const maxReplyLine = 512

// rejectReply is the SMTP reply to give in-session (rule 1) for the first
// recipient that did not succeed, built from its own reply and status.
// Its text is cut to fit one reply line, and without SMTPUTF8 made ASCII.
func rejectReply(rcpts []Delivery, smtputf8 bool) *Reply {
	rc := firstFailure(rcpts)
	st := rc.status()
	code, text := splitReply(rc.Reply)
	// RFC 3463 §2: the reply code's first digit must agree with the
	// enhanced status class.
	if code/100 != st.Class {
		code = st.Class*100 + 50 // 450 or 550 (RFC 5321 §4.2.2)
	}
	if !smtputf8 {
		text = asciiText(text) // RFC 5321 §4.2: textstring is ASCII
	}
	if text == "" {
		text = "delivery to <" + rc.Address + "> failed"
	}
	r := &Reply{Code: code, Enhanced: st}
	room := maxReplyLine - len(r.String()) - len(" \r\n")
	r.Text = truncateUTF8(text, room)
	return r
}

// asciiText replaces every byte outside printable ASCII with '?'.
func asciiText(s string) string {
	if mailsyntax.IndexNotPrintable(s) < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	return string(b)
}

// truncateUTF8 cuts s to at most n bytes, not inside a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// splitReply returns the reply code and the text of a single or
// multi-line reply (RFC 5321 §4.2), the lines' texts joined by a space and
// each line's enhanced status code (RFC 2034 §4) removed. A malformed
// reply gives code 0 and its text cleaned of controls.
func splitReply(reply string) (code int, text string) {
	var texts []string
	for line := range strings.Lines(reply) {
		line = strings.TrimRight(line, "\r\n")
		c, rest, ok := smtpsyntax.ReplyLine(line)
		if !ok {
			return 0, cleanText(reply)
		}
		if code == 0 {
			code = c
		}
		if st, after, _ := strings.Cut(rest, " "); st != "" {
			if _, err := dsn.ParseStatus(st); err == nil {
				rest = after
			}
		}
		if rest = strings.TrimSpace(rest); rest != "" {
			texts = append(texts, rest)
		}
	}
	return code, cleanText(strings.Join(texts, " "))
}

// cleanText turns line breaks and other controls into spaces, so that the
// text fits on one reply line (RFC 5321 §4.1.1: text is printable).
func cleanText(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)), " ")
}
