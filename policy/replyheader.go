package policy

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// replyHeader is what the auto-reply rules and the reply read of the
// original's header, beside what header holds (Auto-Submitted, the trace
// fields): the header scan of Decide hands it the fields it does not
// keep itself, so that the original is read once, by one reader.
type replyHeader struct {
	// addresses are the user's, to look for in the recipient fields.
	addresses []string

	addressed  bool   // one of addresses is in a recipient field (RFC 5230 §4.5)
	list       bool   // a List-* field is there (RFC 2369, RFC 2919)
	precedence bool   // Precedence is bulk, junk or list, or too long to read
	subject    string // the first Subject, unfolded, raw
	messageID  string // the Message-ID, unfolded, raw; "" when there are two
	msgIDs     int    // Message-ID fields seen
	references string // the first References, unfolded, raw
}

// add takes in one field the header scan does not keep; long marks a
// field over maxFieldLen, whose value is nil.
func (h *replyHeader) add(name, value []byte, long bool) {
	is := func(n string) bool { return bytes.EqualFold(name, []byte(n)) }
	switch {
	case len(name) > len("List-") && bytes.EqualFold(name[:len("List-")], []byte("List-")):
		// RFC 5230 §4.6 names List-Id (RFC 2919) and the six fields of
		// RFC 2369; any List-* field, later ones (RFC 8058) too, marks
		// mail from a list.
		h.list = true
	case is("Precedence"):
		// Not standard (RFC 2076 §3.9), but bulk, junk and list mark mass
		// mail, which vacation(1) and Pigeonhole never answer. One too
		// long to read may say so: in doubt, no reply.
		h.precedence = h.precedence || long || isBulkPrecedence(unfolded(value))
	case is("To"), is("Cc"), is("Bcc"), is("Resent-To"), is("Resent-Cc"), is("Resent-Bcc"):
		// RFC 5230 §4.5: reply only to mail that names the user in one of
		// these. One too long to read names no one.
		h.addressed = h.addressed || !long && namesAny(unfolded(value), h.addresses)
	case is("Subject"):
		if h.subject == "" && !long {
			h.subject = unfolded(value)
		}
	case is("Message-ID"):
		if h.msgIDs++; !long {
			h.messageID = unfolded(value)
		}
	case is("References"):
		if h.references == "" && !long {
			h.references = unfolded(value)
		}
	}
}

// isBulkPrecedence reports whether a Precedence value marks mass mail.
func isBulkPrecedence(v string) bool {
	plain, _ := mailsyntax.StripComments(v)
	for _, bulk := range [...]string{"bulk", "junk", "list"} {
		if strings.EqualFold(plain, bulk) {
			return true
		}
	}
	return false
}

// namesAny reports whether the address list v (RFC 5322 §3.4) holds one
// of addrs, compared without regard to case. A list net/mail cannot read
// names no one: split at commas, its pieces would take a quoted local
// part or a comment for an address, and a responder in doubt does not
// reply (RFC 3834 §2).
func namesAny(v string, addrs []string) bool {
	if !strings.ContainsAny(v, " \t<>()\",;:\\") {
		return matchAddress(v, addrs) // a bare addr-spec, the common case
	}
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: anyCharset}}
	list, err := parser.ParseList(v)
	if err != nil {
		return false
	}
	for _, a := range list {
		if matchAddress(a.Address, addrs) {
			return true
		}
	}
	return false
}

// anyCharset lets net/mail read a display name in any charset: only the
// addresses matter here, and an unknown charset must not hide them.
func anyCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// matchAddress reports whether addr is one of addrs, case ignored.
func matchAddress(addr string, addrs []string) bool {
	for _, a := range addrs {
		if strings.EqualFold(addr, a) {
			return true
		}
	}
	return false
}
