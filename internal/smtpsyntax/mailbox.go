package smtpsyntax

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// CheckMailbox checks addr as a Mailbox (RFC 5321 §4.1.2): a Dot-string
// or Quoted-string local part, "@", and a domain as CheckDomain takes it,
// within the lengths of RFC 5321 §4.5.3.1. addr is the mailbox alone,
// without the angle brackets and source route of a path (see
// ReversePath). Non-ASCII is allowed, as valid UTF-8 in the local part and
// in U-labels, only with utf8OK (RFC 6531 §3.3), and never C1 controls or
// the line separators U+2028 and U+2029, which no header line may hold.
func CheckMailbox(s string, utf8OK bool) error {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return errors.New("no @domain (RFC 5321 §4.1.2)")
	}
	local, domain := s[:at], s[at+1:]
	if !mailsyntax.IsASCII(s) {
		switch {
		case !utf8OK:
			return errors.New("non-ASCII address without SMTPUTF8 (RFC 6531 §3.3)")
		case !utf8.ValidString(s):
			return errors.New("invalid UTF-8 (RFC 6531 §3.3)")
		}
		// A DSN's To field holds it: one header line (RFC 5322 §2.2).
		if err := mailsyntax.CheckControls(s, "RFC 5322 §2.2"); err != nil {
			return err
		}
	}
	switch {
	case len(local) > 64:
		return errors.New("local part longer than 64 octets (RFC 5321 §4.5.3.1.1)")
	case len(domain) > 255:
		return errors.New("domain longer than 255 octets (RFC 5321 §4.5.3.1.2)")
	case len(s)+2 > 256:
		return errors.New("path longer than 256 octets (RFC 5321 §4.5.3.1.3)")
	case !mailsyntax.IsDotAtom(local, utf8OK) && !isQuotedLocal(local, utf8OK):
		return errors.New("local part neither a dot-string nor a quoted string (RFC 5321 §4.1.2)")
	}
	return checkDomain(domain, true, utf8OK)
}

// isQuotedLocal reports whether s is a Quoted-string of RFC 5321 §4.1.2:
// qtextSMTP and quoted-pairSMTP between double quotes.
func isQuotedLocal(s string, utf8OK bool) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		switch c := s[i]; {
		case c == '\\' && i+2 < len(s) && s[i+1] >= ' ' && s[i+1] <= '~':
			i++
		case c == '"' || c == '\\':
			return false
		case c >= ' ' && c <= '~' || c >= 0x80 && utf8OK:
		default:
			return false
		}
	}
	return true
}
