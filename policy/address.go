package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// checkAddress checks a mailbox (RFC 5321 §4.1.2): Local-part "@"
// (Domain / address-literal), within the limits of RFC 5321 §4.5.3.1.
// Non-ASCII is allowed only with SMTPUTF8 (RFC 6531 §3.3).
func checkAddress(addr string, smtputf8 bool) error {
	if !utf8.ValidString(addr) {
		return errors.New("address is not valid UTF-8")
	}
	if !smtputf8 && !isASCII(addr) {
		return fmt.Errorf("non-ASCII address %q needs SMTPUTF8 (RFC 6531 §3.3)", addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return fmt.Errorf("address %q has no domain (RFC 5321 §4.1.2)", addr)
	}
	local, domain := addr[:at], addr[at+1:]
	switch {
	case len(addr)+2 > 256:
		return fmt.Errorf("path longer than 256 octets (RFC 5321 §4.5.3.1.3)")
	case len(local) > 64:
		return fmt.Errorf("local part longer than 64 octets (RFC 5321 §4.5.3.1.1)")
	case !isLocalPart(local, smtputf8):
		return fmt.Errorf("address %q: local part is no Dot-string or Quoted-string (RFC 5321 §4.1.2)", addr)
	case domain == "":
		return fmt.Errorf("address %q has no domain (RFC 5321 §4.1.2)", addr)
	}
	if err := checkHost(domain, true, smtputf8); err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	return nil
}

// isLocalPart reports whether s is a Dot-string or a Quoted-string
// (RFC 5321 §4.1.2), with UTF-8 allowed in both when utf8OK (RFC 6531
// §3.3).
func isLocalPart(s string, utf8OK bool) bool {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		for i := 1; i < len(s)-1; i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s)-1 && s[i+1] >= ' ' && s[i+1] <= '~':
				i++ // quoted-pairSMTP
			case c == ' ' || c == '!' || c >= '#' && c <= '[' || c >= ']' && c <= '~':
			case c >= utf8.RuneSelf && utf8OK:
			default:
				return false
			}
		}
		return true
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" || strings.IndexFunc(atom, func(r rune) bool { return !isAtext(r, utf8OK) }) >= 0 {
			return false
		}
	}
	return true
}

// isAtext reports whether r is atext (RFC 5322 §3.2.3).
func isAtext(r rune, utf8OK bool) bool {
	switch {
	case r >= utf8.RuneSelf:
		return utf8OK
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// checkHost checks a host name (RFC 1035 §2.3.1, with the underscore real
// HELO names carry), or with literal an address literal "[IPv4]" or
// "[IPv6:addr]" (RFC 5321 §4.1.3). Labels may be U-labels when utf8OK
// (RFC 6531 §3.3). Empty passes: the callers know whether it is required.
func checkHost(host string, literal, utf8OK bool) error {
	if host == "" {
		return nil
	}
	if host[0] == '[' {
		if !literal {
			return fmt.Errorf("address literal %q where a host name is wanted (RFC 5321 §4.1.3)", host)
		}
		inner, closed := strings.CutSuffix(host[1:], "]")
		addr, v6 := strings.CutPrefix(inner, "IPv6:")
		ip, err := netip.ParseAddr(addr)
		if !closed || err != nil || ip.Is6() != v6 || ip.Zone() != "" {
			return fmt.Errorf("%q is not an address literal [IPv4] or [IPv6:addr] (RFC 5321 §4.1.3)", host)
		}
		return nil
	}
	if len(host) > 253 {
		return fmt.Errorf("host name longer than 253 octets (RFC 5321 §4.5.3.1.2)")
	}
	for label := range strings.SplitSeq(host, ".") {
		switch {
		case label == "":
			return fmt.Errorf("empty label in host name %q (RFC 1035 §2.3.1)", host)
		case len(label) > 63:
			return fmt.Errorf("label longer than 63 octets in host name %q (RFC 1035 §2.3.4)", host)
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Errorf("label starting or ending with a hyphen in host name %q (RFC 1035 §2.3.1)", host)
		}
		if i := strings.IndexFunc(label, func(r rune) bool { return !isLdh(r, utf8OK) }); i >= 0 {
			r, _ := utf8.DecodeRuneInString(label[i:])
			return fmt.Errorf("character %q not allowed in host name %q (RFC 1035 §2.3.1)", r, host)
		}
	}
	return nil
}

// isLdh reports whether r may be in a host name's label: a letter, digit,
// hyphen or underscore, or with utf8OK any non-ASCII character.
func isLdh(r rune, utf8OK bool) bool {
	switch {
	case r >= utf8.RuneSelf:
		return utf8OK
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		return true
	}
	return false
}

// plainPath returns a reverse path without its angle brackets and
// without a source route ("<@a,@b:user@c>" → "user@c"), which receivers
// must ignore (RFC 5321 §4.1.2, §C). The null path "<>" gives "".
func plainPath(addr string) string {
	if len(addr) >= 2 && addr[0] == '<' && addr[len(addr)-1] == '>' {
		addr = addr[1 : len(addr)-1]
	}
	if strings.HasPrefix(addr, "@") {
		if _, rest, ok := strings.Cut(addr, ":"); ok {
			return rest
		}
	}
	return addr
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexControl returns the index of the first C0 control or DEL in s, or -1.
func indexControl(s string) int {
	return strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}

// indexNotPrintable returns the index of the first byte outside printable
// ASCII in s, or -1.
func indexNotPrintable(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return i
		}
	}
	return -1
}
