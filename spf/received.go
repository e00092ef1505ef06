package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// ErrMalformedHeader reports a Received-SPF or Authentication-Results value
// that does not follow its grammar.
var ErrMalformedHeader = errors.New("spf: malformed header field")

// errUnclosedComment reports a comment that runs to the end of the field.
var errUnclosedComment = fmt.Errorf("%w: unterminated comment (RFC 5322 §3.2.2)", ErrMalformedHeader)

// ReceivedSPF renders the value of a Received-SPF header field (RFC 7208
// §9.1), without the field name: the result, a comment in words, and the
// key-value pairs client-ip, envelope-from (for the mailfrom identity),
// helo, receiver (when given), identity and mechanism (when known). Values
// that are not dot-atoms are quoted; control characters, which no header
// may carry, and invalid UTF-8 are replaced by "?".
//
// The value is never folded: when "Received-SPF: " and it would exceed the
// 998 characters of a line (RFC 5322 §2.1.1), the mechanism and then the
// comment are left out. Values of the lengths RFC 5321 §4.5.3.1 allows
// then always fit.
func (v Verdict) ReceivedSPF(receiver string) string {
	const max = 998 - len("Received-SPF: ")
	s := v.receivedSPF(receiver, true, true)
	if len(s) > max {
		s = v.receivedSPF(receiver, true, false)
	}
	if len(s) > max {
		s = v.receivedSPF(receiver, false, false)
	}
	return s
}

// receivedSPF renders the value of ReceivedSPF, with or without its
// comment and its mechanism.
func (v Verdict) receivedSPF(receiver string, withComment, withMechanism bool) string {
	var b strings.Builder
	b.WriteString(string(v.Result))
	if withComment {
		b.WriteString(" (")
		if receiver != "" {
			b.WriteString(commentText(receiver))
			b.WriteString(": ")
		}
		b.WriteString(commentText(v.comment()))
		b.WriteString(")")
	}
	sep := " "
	pair := func(key, value string) {
		b.WriteString(sep)
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(headerValue(value))
		sep = "; "
	}
	if v.ClientIP.IsValid() {
		pair("client-ip", v.ClientIP.String())
	}
	if v.Identity != HELO {
		pair("envelope-from", v.Sender)
	}
	if v.HELO != "" {
		pair("helo", v.HELO)
	}
	if receiver != "" {
		pair("receiver", receiver)
	}
	if v.Identity != "" {
		pair("identity", string(v.Identity))
	}
	if v.Mechanism != "" && withMechanism {
		pair("mechanism", v.Mechanism)
	}
	return b.String()
}

// comment says what the result means for the identity (RFC 7208 §9.1).
func (v Verdict) comment() string {
	who := "domain of " + v.Sender
	if v.Identity == HELO {
		who = "domain of " + v.HELO
	}
	ip := v.ClientIP.String()
	switch v.Result {
	case Pass:
		return who + " designates " + ip + " as permitted sender"
	case Fail:
		return who + " does not designate " + ip + " as permitted sender"
	case SoftFail:
		return "transitioning " + who + " does not designate " + ip + " as permitted sender"
	case Neutral:
		return ip + " is neither permitted nor denied by " + who
	case None:
		return who + " does not publish an SPF policy"
	case TempError:
		return "temporary error checking the policy of " + who
	case PermError:
		return "the policy of " + who + " cannot be interpreted"
	}
	return "unknown result"
}

// ParseReceivedSPF reads the value of a Received-SPF header field (RFC 7208
// §9.1), with or without the field name, back into a Verdict and the
// receiver it names. Unknown keys are ignored. Without an identity key,
// the identity is mailfrom when envelope-from is given, else unknown ("").
func ParseReceivedSPF(value string) (v Verdict, receiver string, err error) {
	value = strings.TrimLeft(value, " \t")
	if len(value) >= 13 && strings.EqualFold(value[:13], "Received-SPF:") {
		value = value[13:]
	}
	l := headerLexer{s: value}
	hasSender := false
	var seen receivedKeys
	l.skipCFWS()
	word := l.token()
	if v.Result, err = ParseResult(word); err != nil || word == "" {
		return v, "", fmt.Errorf("%w: Received-SPF result %q (RFC 7208 §9.1)", ErrMalformedHeader, word)
	}
	for {
		l.skipCFWS()
		if l.done() {
			break
		}
		key := l.token()
		l.skipCFWS()
		if key == "" || !l.consume('=') {
			return v, "", fmt.Errorf("%w: Received-SPF key-value pair at %q (RFC 7208 §9.1)", ErrMalformedHeader, l.rest())
		}
		l.skipCFWS()
		quoted := !l.done() && l.s[l.pos] == '"'
		val, ok := l.value()
		if !ok {
			return v, "", fmt.Errorf("%w: Received-SPF value of %q (RFC 7208 §9.1)", ErrMalformedHeader, key)
		}
		key = strings.ToLower(key)
		if err := seen.add(key, val, quoted); err != nil {
			return v, "", err
		}
		switch key {
		case "client-ip":
			if v.ClientIP, err = netip.ParseAddr(val); err != nil {
				return v, "", fmt.Errorf("%w: Received-SPF client-ip %q (RFC 7208 §9.1)", ErrMalformedHeader, val)
			}
		case "envelope-from":
			v.Sender, hasSender = val, true
		case "helo":
			v.HELO = val
		case "receiver":
			receiver = val
		case "identity":
			v.Identity = Identity(strings.ToLower(val))
		case "mechanism":
			v.Mechanism = val
		}
		l.skipCFWS()
		if !l.consume(';') && !l.done() {
			return v, "", fmt.Errorf(`%w: Received-SPF: ";" expected at %q (RFC 7208 §9.1)`, ErrMalformedHeader, l.rest())
		}
	}
	if l.unclosed {
		return v, "", errUnclosedComment
	}
	// RFC 7208 §2.4: a null envelope-from was checked as postmaster@HELO.
	v.Sender = strings.TrimSuffix(strings.TrimPrefix(v.Sender, "<"), ">")
	if v.Identity == "" && hasSender {
		// RFC 7208 §9.1: identity is optional; a field that names neither
		// leaves the identity unknown rather than guessed.
		v.Identity = MailFrom
	}
	switch {
	case v.Identity == "":
	case v.Identity == HELO || v.Sender == "":
		v.Domain = v.HELO
		if v.HELO != "" {
			v.Sender = "postmaster@" + v.HELO
		}
	default:
		_, v.Domain = splitSender(v.Sender)
	}
	return v, receiver, nil
}

// receivedKeys tracks the keys of one Received-SPF field that say whose
// verdict it is, so that the field can be read in one way only: a field
// naming two receivers or two senders is ambiguous, and one that a reader
// could split differently from its writer (an unquoted value that is no
// dot-atom, RFC 7208 §9.1) may have been written to deceive.
type receivedKeys uint8

// receivedKeyNames are the keys receivedKeys tracks, one bit each.
var receivedKeyNames = [...]string{"client-ip", "envelope-from", "helo", "receiver", "identity", "mechanism"}

// add records key with its value, quoted or not.
func (k *receivedKeys) add(key, val string, quoted bool) error {
	i := slices.Index(receivedKeyNames[:], key)
	if i < 0 {
		return nil // RFC 7208 §9.1: other keys are extensions
	}
	if *k&(1<<i) != 0 {
		return fmt.Errorf("%w: Received-SPF key %q given twice (RFC 7208 §9.1)", ErrMalformedHeader, key)
	}
	*k |= 1 << i
	if quoted {
		return nil
	}
	switch key {
	case "envelope-from":
		addr := strings.TrimSuffix(strings.TrimPrefix(val, "<"), ">")
		local, domain, ok := strings.Cut(addr, "@")
		if addr != "" && (ok && !mailsyntax.IsDotAtom(local, false) || !mailsyntax.IsDotAtom(domain, false)) {
			return fmt.Errorf("%w: Received-SPF envelope-from %q is neither quoted nor an address (RFC 7208 §9.1)", ErrMalformedHeader, val)
		}
	case "helo", "receiver", "identity":
		if !mailsyntax.IsDotAtom(val, false) {
			return fmt.Errorf("%w: Received-SPF %s %q is neither quoted nor a dot-atom (RFC 7208 §9.1)", ErrMalformedHeader, key, val)
		}
	}
	return nil
}

// headerValue writes a value as a dot-atom when it is one, else as a
// quoted-string (RFC 5322 §3.2.3, §3.2.4).
func headerValue(s string) string {
	if mailsyntax.IsDotAtom(s, false) {
		return s
	}
	return `"` + escapeText(s, `"\`) + `"`
}

// commentText escapes text for a comment (RFC 5322 §3.2.2).
func commentText(s string) string { return escapeText(s, `()\`) }

// escapeText quotes the bytes of special with a backslash (RFC 5322
// §3.2.1) and writes controls, which no header may carry, and invalid
// UTF-8 as "?"; valid UTF-8 stays (RFC 6532 §3.2).
func escapeText(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch c := s[i]; {
		case strings.IndexByte(special, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case mailsyntax.IsControl(r) || r == utf8.RuneError && size <= 1:
			// RFC 6855 §3: C1 controls and the line separators too, which
			// a reader may take for a line break.
			b.WriteByte('?')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// headerLexer reads the structured header values of Received-SPF and
// Authentication-Results: comments and folding white space (RFC 5322
// §3.2.2), tokens, and quoted-strings.
type headerLexer struct {
	s        string
	pos      int
	unclosed bool // a comment ran to the end
}

func (l *headerLexer) done() bool   { return l.pos >= len(l.s) }
func (l *headerLexer) rest() string { return l.s[l.pos:] }

// consume skips c if it comes next.
func (l *headerLexer) consume(c byte) bool {
	if l.pos < len(l.s) && l.s[l.pos] == c {
		l.pos++
		return true
	}
	return false
}

// skipCFWS skips white space, line breaks of folding, and nested comments.
func (l *headerLexer) skipCFWS() {
	var unclosed bool
	l.pos, unclosed = mailsyntax.SkipCFWS(l.s, l.pos)
	l.unclosed = l.unclosed || unclosed
}

// token reads a run of characters other than white space, controls and
// the delimiters of these fields.
func (l *headerLexer) token() string {
	start := l.pos
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if c <= ' ' || c == 0x7f || strings.IndexByte(`()<>,;:\"[]=/`, c) >= 0 {
			break
		}
		l.pos++
	}
	return l.s[start:l.pos]
}

// value reads a token or a quoted-string, which may be followed, for an
// address, by "@" and a domain.
func (l *headerLexer) value() (string, bool) {
	if l.pos < len(l.s) && l.s[l.pos] == '"' {
		q, ok := l.quoted()
		if !ok {
			return "", false
		}
		if l.consume('@') {
			return q + "@" + l.token(), true
		}
		return q, true
	}
	// Unquoted: a dot-atom, or what real headers put there unquoted (an
	// IPv6 address, a mechanism): everything up to space, ";" or "(".
	start := l.pos
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if c <= ' ' || c == 0x7f || c == ';' || c == '(' || c == '"' {
			break
		}
		l.pos++
	}
	return l.s[start:l.pos], l.pos > start
}

// quoted reads a quoted-string, undoing its quoted-pairs.
func (l *headerLexer) quoted() (string, bool) {
	var b strings.Builder
	for l.pos++; l.pos < len(l.s); l.pos++ {
		switch c := l.s[l.pos]; c {
		case '"':
			l.pos++
			return b.String(), true
		case '\\':
			if l.pos+1 < len(l.s) {
				l.pos++
				b.WriteByte(l.s[l.pos])
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
