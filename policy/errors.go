package policy

import (
	"errors"
	"strings"

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
