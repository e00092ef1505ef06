package dsn

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// This file holds the address and host name rules that Compose applies,
// exported for callers that check the same values before composing.
// Each exported check returns a *FieldError naming a generic field
// ("Mailbox", "Hostname", "Domain"); a caller with its own field names
// keeps the Reason and replaces the Field.

// CheckMailbox checks addr as a Mailbox (RFC 5321 §4.1.2): a Dot-string
// or Quoted-string local part, "@", and a domain as CheckDomain takes it,
// within the lengths of RFC 5321 §4.5.3.1. addr is the mailbox alone,
// without the angle brackets and source route of a path, which Compose
// strips from Report.To (RFC 5321 §4.1.2, Appendix C). Non-ASCII is
// allowed, as valid UTF-8 in the local part and in U-labels, only with
// smtputf8 (RFC 6531 §3.3), and never C1 controls or the line separators
// U+2028 and U+2029, which no header line may hold.
func CheckMailbox(addr string, smtputf8 bool) error {
	return checkMailbox("Mailbox", addr, smtputf8)
}

// CheckHostname checks name as a host name, as Compose wants it in
// "dns; name" (RFC 3464 §2.2.2): labels of letters, digits and hyphens, no
// hyphen at either end, 1 to 63 characters each (RFC 1035 §2.3.1, with
// RFC 1123 §2.1's leading digits), at most 253 in all (RFC 1035 §2.3.4),
// and no trailing dot, which the Domain of RFC 5321 §4.1.2 lacks.
// Underscores are tolerated: real host names carry them. A last label of
// digits alone is refused, so that no name reads back as an IPv4 address
// (RFC 1123 §2.1; no top-level domain is all digits, RFC 3696 §2): an IP
// address goes in an address literal. Internationalised names go in their
// A-label form. An empty name is an error.
func CheckHostname(name string) error {
	return checkHost("Hostname", name, false)
}

// CheckDomain checks domain as what follows the "@" of a mailbox or the
// EHLO command (RFC 5321 §4.1.2, §4.1.1.1): a host name as CheckHostname
// takes it, or an address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]"
// (RFC 5321 §4.1.3). An empty domain is an error.
func CheckDomain(domain string) error {
	return checkHost("Domain", domain, true)
}

func checkMailbox(field, s string, utf8OK bool) error {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return fieldError(field, "no @domain (RFC 5321 §4.1.2)")
	}
	local, domain := s[:at], s[at+1:]
	if !mailsyntax.IsASCII(s) {
		switch {
		case !utf8OK:
			return fieldError(field, "non-ASCII address without SMTPUTF8 (RFC 6531 §3.3)")
		case !utf8.ValidString(s):
			return fieldError(field, "invalid UTF-8 (RFC 6531 §3.3)")
		}
		// The DSN's To field holds it: one header line (RFC 5322 §2.2).
		if err := checkControls(field, s, "RFC 5322 §2.2"); err != nil {
			return err
		}
	}
	switch {
	case len(local) > 64:
		return fieldError(field, "local part longer than 64 octets (RFC 5321 §4.5.3.1.1)")
	case len(domain) > 255:
		return fieldError(field, "domain longer than 255 octets (RFC 5321 §4.5.3.1.2)")
	case len(s)+2 > 256:
		return fieldError(field, "path longer than 256 octets (RFC 5321 §4.5.3.1.3)")
	case !mailsyntax.IsDotAtom(local, utf8OK) && !isQuotedLocal(local, utf8OK):
		return fieldError(field, "local part neither a dot-string nor a quoted string (RFC 5321 §4.1.2)")
	}
	return checkDomain(field, domain, true, utf8OK)
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

// checkHost is CheckHostname for field, and with literal CheckDomain.
func checkHost(field, s string, literal bool) error {
	return checkDomain(field, s, literal, false)
}

// checkDomain is checkHost with U-labels too, when utf8OK (RFC 6531 §3.3).
func checkDomain(field, s string, literal, utf8OK bool) error {
	if s != "" && s[0] == '[' {
		if !literal {
			return fieldError(field, "an address literal is no host name; give the address as IP (RFC 3464 §2.2.4)")
		}
		return checkAddressLiteral(field, s)
	}
	if len(s) > 253 {
		return fieldError(field, "longer than 253 characters (RFC 1035 §2.3.4)")
	}
	label, digits := 0, true // the current label's length; all digits so far
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			switch {
			case label == 0 && i == len(s):
				return fieldError(field, "trailing dot or empty name (RFC 5321 §4.1.2)")
			case label == 0:
				return fieldError(field, "empty label (RFC 1035 §2.3.1)")
			case label > 63:
				return fieldError(field, "label longer than 63 characters (RFC 1035 §2.3.4)")
			case s[i-1] == '-':
				return fieldError(field, "label ends with a hyphen (RFC 1035 §2.3.1)")
			}
			if i < len(s) {
				label, digits = 0, true
			}
			continue
		}
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			digits = false
		case c == '-' && label > 0:
			digits = false
		case c == '-':
			return fieldError(field, "label starts with a hyphen (RFC 1035 §2.3.1)")
		case c >= 0x80 && utf8OK:
			digits = false
		default:
			return fieldError(field, "character "+byteHex(c)+" not allowed in a host name (RFC 1035 §2.3.1)")
		}
		label++
	}
	if digits {
		return fieldError(field, "last label all digits: an IP address is no host name (RFC 1123 §2.1)")
	}
	return nil
}

// checkAddressLiteral checks "[IPv4]" or "[IPv6:address]" (RFC 5321
// §4.1.3); the tag "IPv6" matches in any case, as ABNF strings do
// (RFC 5234 §2.3).
func checkAddressLiteral(field, s string) error {
	inner, closed := strings.CutSuffix(s[1:], "]")
	addr, v6 := cutPrefixFold(inner, "IPv6:")
	ip, err := netip.ParseAddr(addr)
	if !closed || err != nil || ip.Is6() != v6 || ip.Zone() != "" {
		return fieldError(field, "not an address literal [IPv4] or [IPv6:address] (RFC 5321 §4.1.3)")
	}
	return nil
}

// cutPrefixFold is strings.CutPrefix with the prefix matched in any case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
