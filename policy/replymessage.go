package policy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// Bounds of what the reply takes from the original.
const (
	// maxMsgIDLen is the longest id that fits, in its angle brackets, on
	// one line under the longest name it goes under (RFC 5322 §2.1.1).
	maxMsgIDLen = mailsyntax.MaxLineLen - len("In-Reply-To: <>")
	// maxReferences bounds the ids of References: the original's last
	// ones and its own, enough to thread a reply.
	maxReferences = 20
)

// composeReply writes the reply to ev as RFC 3834 §3 wants it, into a
// Message held in memory: from the user, to the return path, marked
// auto-replied, threaded to the original, a text/plain UTF-8 body. Every
// line is within 998 octets, and nothing from the original or the event
// can start a header field: controls are refused (ReplyEvent.Validate)
// or turned into spaces (the original's subject).
func (p *Policy) composeReply(ev *ReplyEvent, rh *replyHeader) (*Message, error) {
	id, err := p.replyMessageID()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(1024 + len(ev.Text) + len(ev.Text)/8)
	w := fieldWriter{b: &b}
	w.field("From", "<"+ev.Addresses[0]+">")
	w.field("To", "<"+ev.ReturnPath+">") // RFC 3834 §4: to the return path
	w.field("Subject", mailsyntax.EncodeText(replySubject(ev, rh)))
	w.line = mailsyntax.AppendDate(append(w.line[:0], "Date: "...), p.now())
	mailsyntax.WriteFolded(w.b, w.line, len("Date"))
	w.field("Message-ID", "<"+id+">")
	// RFC 3834 §3.1.5, RFC 5322 §3.6.4: the reply answers the original.
	utf8OK := ev.SMTPUTF8
	if orig := originalID(rh, utf8OK); orig != "" {
		w.field("In-Reply-To", "<"+orig+">")
		w.field("References", references(rh.references, orig, utf8OK))
	}
	// RFC 3834 §5: an automatic response, so no one answers it in turn.
	w.field("Auto-Submitted", "auto-replied")
	w.field("MIME-Version", "1.0")
	w.field("Content-Type", "text/plain; charset=utf-8")
	writeReplyBody(&b, ev.Text)
	// RFC 3834 §3.3: from the null reverse path unless the user gave one.
	return &Message{MailFrom: ev.MailFrom, RcptTo: ev.ReturnPath, Size: int64(b.Len()), Data: b.Bytes()}, nil
}

// fieldWriter writes header fields, folded, through one line buffer.
type fieldWriter struct {
	b    *bytes.Buffer
	line []byte
}

func (w *fieldWriter) field(name, value string) {
	w.line = append(append(append(w.line[:0], name...), ": "...), value...)
	mailsyntax.WriteFolded(w.b, w.line, len(name))
}

// replyMessageID is the reply's Message-ID, without angle brackets: the
// one Policy.ComposeOptions.MessageID makes, else a random one at our
// host.
func (p *Policy) replyMessageID() (string, error) {
	if p.ComposeOptions.MessageID != nil {
		id := mailsyntax.Unbracket(p.ComposeOptions.MessageID())
		if len(id) > maxMsgIDLen || !mailsyntax.IsMsgID(id, false) {
			return "", policyError("ComposeOptions.MessageID", "%q is not id-left@id-right (RFC 5322 §3.6.4)", id)
		}
		return id, nil
	}
	var random [16]byte
	rand.Read(random[:])
	return hex.EncodeToString(random[:]) + "@" + p.defaults().reportingMTA, nil
}

// replySubject is the reply's Subject: the event's, or "Auto: " and the
// original's (RFC 3834 §3.1.5), decoded, one line, and short.
func replySubject(ev *ReplyEvent, rh *replyHeader) string {
	if s := strings.TrimSpace(ev.Subject); s != "" {
		return s
	}
	return strings.TrimSpace("Auto: " + originalSubject(rh.subject))
}

// originalSubject is the original's subject as text: RFC 2047 encoded
// words decoded where the charset is known, invalid UTF-8 replaced,
// controls and line separators (an encoded word may hold CR LF) turned
// into spaces, runs of white space made one, and cut to fit a line.
func originalSubject(raw string) string {
	s := raw
	if strings.Contains(s, "=?") {
		if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
			s = dec
		}
	}
	s = strings.Map(func(r rune) rune {
		if mailsyntax.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.Join(strings.Fields(s), " ")
	return truncateUTF8(s, maxReplySubject-len("Auto: "))
}

// originalID is the original's Message-ID, without angle brackets, when
// there is exactly one (RFC 5322 §3.6) and it is a plain id-left "@"
// id-right that fits a line; UTF-8 only with utf8OK (RFC 6532 §3.2).
func originalID(rh *replyHeader, utf8OK bool) string {
	if rh.msgIDs != 1 {
		return ""
	}
	plain, _ := mailsyntax.StripComments(rh.messageID)
	if len(plain) < 2 || plain[0] != '<' || plain[len(plain)-1] != '>' {
		return ""
	}
	return checkedID(plain[1:len(plain)-1], utf8OK)
}

// checkedID is id when a reply may carry it, else "".
func checkedID(id string, utf8OK bool) string {
	switch {
	case len(id) > maxMsgIDLen || !mailsyntax.IsMsgID(id, utf8OK):
		return ""
	case utf8OK && (!utf8.ValidString(id) || mailsyntax.IndexControl(id) >= 0):
		return ""
	}
	return id
}

// references is the reply's References (RFC 5322 §3.6.4): the ids of the
// original's References that a reply may carry, the last of them when
// there are many, then the original's own id.
func references(refs, orig string, utf8OK bool) string {
	plain, _ := mailsyntax.StripComments(refs)
	var ids []string
	for rest := plain; ; {
		start := strings.IndexByte(rest, '<')
		end := strings.IndexByte(rest[start+1:], '>')
		if start < 0 || end < 0 {
			break
		}
		if id := checkedID(rest[start+1:start+1+end], utf8OK); id != "" && id != orig {
			ids = append(ids, "<"+id+">")
		}
		rest = rest[start+1+end+1:]
	}
	ids = append(ids[max(0, len(ids)-(maxReferences-1)):], "<"+orig+">")
	return strings.Join(ids, " ")
}

// writeReplyBody ends the header and writes text as the body: CRLF, LF
// and a lone CR each one line break (as mailsyntax reads them), 7bit
// when the text is ASCII in lines of at most 998 octets (RFC 5322
// §2.1.1), else quoted-printable, which any path carries (RFC 2045 §6.7).
func writeReplyBody(b *bytes.Buffer, text string) {
	lines := make([]string, 0, strings.Count(text, "\n")+1)
	plain := mailsyntax.IsASCII(text)
	src := []byte(text)
	for i := 0; i < len(src); {
		at, after := mailsyntax.NextBreak(src, i, true)
		if at < 0 {
			at, after = len(src), len(src)
		}
		lines = append(lines, text[i:at])
		plain = plain && at-i <= mailsyntax.MaxLineLen
		i = after
	}
	if plain {
		b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
		for _, l := range lines {
			b.WriteString(l)
			b.WriteString("\r\n")
		}
		return
	}
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	q := quotedprintable.NewWriter(b) // LF becomes CRLF; long lines get soft breaks
	for _, l := range lines {
		q.Write([]byte(l))
		q.Write([]byte("\n"))
	}
	q.Close()
}
