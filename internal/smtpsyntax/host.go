package smtpsyntax

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// CheckHostname checks name as a host name, as a DSN wants it in "dns;
// name" (RFC 3464 §2.2.2): labels of letters, digits and hyphens, no
// hyphen at either end, 1 to 63 characters each (RFC 1035 §2.3.1, with
// RFC 1123 §2.1's leading digits), at most 253 in all (RFC 1035 §2.3.4),
// and no trailing dot, which the Domain of RFC 5321 §4.1.2 lacks.
// Underscores are tolerated: real host names carry them. A last label of
// digits alone is refused, so that no name reads back as an IPv4 address
// (RFC 1123 §2.1; no top-level domain is all digits, RFC 3696 §2): an IP
// address goes in an address literal. Internationalised names go in their
// A-label form. An empty name is an error.
func CheckHostname(name string) error { return checkDomain(name, false, false) }

// CheckDomain checks domain as what follows the "@" of a mailbox or the
// EHLO command (RFC 5321 §4.1.2, §4.1.1.1): a host name as CheckHostname
// takes it, or an address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]"
// (RFC 5321 §4.1.3). An empty domain is an error.
func CheckDomain(domain string) error { return checkDomain(domain, true, false) }

// checkDomain is CheckHostname, with address literals when literal, and
// with U-labels when utf8OK (RFC 6531 §3.3).
func checkDomain(s string, literal, utf8OK bool) error {
	if s != "" && s[0] == '[' {
		if !literal {
			return errors.New("an address literal is no host name; give the address as IP (RFC 3464 §2.2.4)")
		}
		return checkAddressLiteral(s)
	}
	if len(s) > 253 {
		return errors.New("longer than 253 characters (RFC 1035 §2.3.4)")
	}
	label, digits := 0, true // the current label's length; all digits so far
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			switch {
			case label == 0 && i == len(s):
				return errors.New("trailing dot or empty name (RFC 5321 §4.1.2)")
			case label == 0:
				return errors.New("empty label (RFC 1035 §2.3.1)")
			case label > 63:
				return errors.New("label longer than 63 characters (RFC 1035 §2.3.4)")
			case s[i-1] == '-':
				return errors.New("label ends with a hyphen (RFC 1035 §2.3.1)")
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
			return errors.New("label starts with a hyphen (RFC 1035 §2.3.1)")
		case c >= 0x80 && utf8OK:
			digits = false
		default:
			return fmt.Errorf("character %#02x not allowed in a host name (RFC 1035 §2.3.1)", c)
		}
		label++
	}
	if digits {
		return errors.New("last label all digits: an IP address is no host name (RFC 1123 §2.1)")
	}
	return nil
}

// checkAddressLiteral checks "[IPv4]" or "[IPv6:address]" (RFC 5321
// §4.1.3); the tag "IPv6" matches in any case, as ABNF strings do
// (RFC 5234 §2.3).
func checkAddressLiteral(s string) error {
	inner, closed := strings.CutSuffix(s[1:], "]")
	addr, v6 := cutPrefixFold(inner, "IPv6:")
	ip, err := netip.ParseAddr(addr)
	if !closed || err != nil || ip.Is6() != v6 || ip.Zone() != "" {
		return errors.New("not an address literal [IPv4] or [IPv6:address] (RFC 5321 §4.1.3)")
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
