package smtpsyntax

import (
	"errors"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// ReversePath returns the mailbox of a reverse path (RFC 5321 §4.1.2):
// without its angle brackets, when given, and without a source route
// ("<@a,@b:user@c>" gives "user@c"), which receivers must ignore
// (RFC 5321 Appendix C). The null path, "<>" or "", gives "". It does not
// check the mailbox: see CheckMailbox.
func ReversePath(path string) (string, error) {
	s := mailsyntax.Unbracket(path)
	if strings.HasPrefix(s, "@") {
		_, mailbox, ok := strings.Cut(s, ":")
		if !ok {
			return "", errors.New("source route without its colon (RFC 5321 §4.1.2)")
		}
		return mailbox, nil
	}
	return s, nil
}
