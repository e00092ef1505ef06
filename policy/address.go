package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkAddress checks a mailbox (RFC 5321 §4.1.2): a local part and a
// domain, with nothing that could break a header line. Non-ASCII is
// allowed only with SMTPUTF8 (RFC 6531 §3.3).
func checkAddress(addr string, smtputf8 bool) error {
	if i := indexControl(addr); i >= 0 {
		return fmt.Errorf("control character %#02x in address", addr[i])
	}
	if !utf8.ValidString(addr) {
		return errors.New("address is not valid UTF-8")
	}
	if !smtputf8 && !isASCII(addr) {
		return fmt.Errorf("non-ASCII address %q needs SMTPUTF8 (RFC 6531 §3.3)", addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return fmt.Errorf("address %q has no domain (RFC 5321 §4.1.2)", addr)
	}
	local, domain := addr[:at], addr[at+1:]
	if local == "" {
		return fmt.Errorf("address %q has an empty local part (RFC 5321 §4.1.2)", addr)
	}
	// A quoted local part may hold specials; an unquoted one may not
	// (RFC 5321 §4.1.2 Dot-string).
	if !(len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"') &&
		strings.ContainsAny(local, " <>()[],;:\\\"") {
		return fmt.Errorf("address %q: special character in unquoted local part (RFC 5321 §4.1.2)", addr)
	}
	if err := checkHost(domain); err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	return nil
}

// checkHost checks a host name or address literal as it goes into a DSN
// field or an address (RFC 5321 §4.1.2 Domain / address-literal): no
// space, control or delimiter. Empty is allowed (absent).
func checkHost(host string) error {
	if i := strings.IndexFunc(host, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("<>()@,;\\\"", r)
	}); i >= 0 {
		return fmt.Errorf("character %q not allowed in host name %q", host[i], host)
	}
	return nil
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
