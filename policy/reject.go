package policy

import (
	"strings"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// rejectReply is the SMTP reply to give in-session (rule 1) for the first
// recipient that did not succeed, or nil when every recipient did.
func rejectReply(rcpts []Recipient) *Reply {
	for i := range rcpts {
		rc := &rcpts[i]
		if a := rc.action(); a == dsn.ActionFailed || a == dsn.ActionDelayed {
			return replyFor(rc)
		}
	}
	return nil
}

// replyFor builds the reply from the recipient's own reply and status.
func replyFor(rc *Recipient) *Reply {
	st := rc.status()
	code, text := splitReply(rc.Reply)
	// RFC 3463 §2: the reply code's first digit must agree with the
	// enhanced status class.
	if code/100 != st.Class {
		code = st.Class*100 + 50 // 450 or 550 (RFC 5321 §4.2.2)
	}
	if text == "" {
		text = "delivery to <" + rc.Address + "> failed"
	}
	return &Reply{Code: code, Enhanced: st, Text: text}
}

// splitReply returns the reply code and the text of a single or
// multi-line reply (RFC 5321 §4.2), the lines' texts joined by a space and
// each line's enhanced status code (RFC 2034 §4) removed. A malformed
// reply gives code 0 and its text cleaned of controls.
func splitReply(reply string) (code int, text string) {
	var texts []string
	for line := range strings.Lines(reply) {
		line = strings.TrimRight(line, "\r\n")
		c, rest, ok := replyLine(line)
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

// replyLine splits one reply line, Reply-code [ SP / "-" ] text
// (RFC 5321 §4.2).
func replyLine(line string) (code int, text string, ok bool) {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return 0, "", false
	}
	for _, c := range []byte(line[:3]) {
		if c < '0' || c > '9' {
			return 0, "", false
		}
		code = code*10 + int(c-'0')
	}
	if len(line) > 3 {
		text = line[4:]
	}
	return code, text, true
}
