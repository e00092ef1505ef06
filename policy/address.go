package policy

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// reason is the rule that one of dsn's checks found broken, without the
// check's own field name: the caller names the field as its user knows it.
func reason(err error) string {
	var fe *dsn.FieldError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
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
