package dsn

import "strings"

// StatusFromReply maps an SMTP reply, single or multi-line ("550-...\r\n550
// ..."), to a Status and the text for Diagnostic-Code.
//
// The status is the reply's enhanced code when its class matches the
// reply code's first digit (RFC 3463 §2, RFC 2034 §4), else X.0.0 with X
// the reply code's first digit. A reply without a 2yz, 4yz or 5yz code
// gives 5.0.0 when permanent, else 4.0.0.
//
// The diagnostic is the reply with its lines joined by a single space
// (RFC 3464 §2.3.6 wants one field); other control characters become
// spaces, so the text is always safe for Compose.
func StatusFromReply(reply string, permanent bool) (Status, string) {
	diag := joinReplyLines(reply)
	return replyStatus(diag, permanent), diag
}

// replyStatus reads the status from the first line of a reply.
func replyStatus(line string, permanent bool) Status {
	// RFC 5321 §4.2: Reply-code [ SP / "-" ] text.
	if len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) ||
		(len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return defaultStatus(permanent)
	}
	class := int(line[0] - '0')
	if class != 2 && class != 4 && class != 5 {
		return defaultStatus(permanent)
	}
	if len(line) > 4 {
		code, _, _ := strings.Cut(line[4:], " ")
		// RFC 3463 §2: the class must agree with the reply code.
		if st, err := ParseStatus(code); err == nil && st.Class == class {
			return st
		}
	}
	return Status{Class: class}
}

func defaultStatus(permanent bool) Status {
	if permanent {
		return Status{Class: 5}
	}
	return Status{Class: 4}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// joinReplyLines joins the lines of a reply with single spaces and turns
// any other control character into a space.
func joinReplyLines(reply string) string {
	reply = strings.TrimSpace(reply)
	if indexControl(reply) < 0 {
		return reply
	}
	var b strings.Builder
	b.Grow(len(reply))
	for line := range strings.Lines(reply) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c < ' ' || c == 0x7f {
				c = ' '
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
