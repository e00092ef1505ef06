package policy

import (
	"bytes"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// Bounds of the header scan: the whole header is read, however long, but
// only these fields are kept, each at most maxFieldLen bytes unfolded.
const (
	maxFieldLen    = 8 << 10
	maxTraceFields = 64 // our own trace fields are the topmost (RFC 5321 §4.4)
)

// header is what the rules read of the original's header: whether it
// marks the message as automatic (rule 4), and its trace fields (rule 8).
type header struct {
	automatic bool
	// trace holds the Received, Received-SPF and Authentication-Results
	// fields, topmost first, up to maxTraceFields.
	trace []headerField
}

// headerField is one kept field, unfolded. long marks a field over
// maxFieldLen, whose value was not kept.
type headerField struct {
	name, value string
	long        bool
}

// fieldKind says what the rules do with a field named name.
func fieldKind(name []byte) (canonical string, trace bool) {
	for _, f := range [...]struct {
		name  string
		trace bool
	}{
		{"Auto-Submitted", false}, {"Content-Type", false},
		{"Received", true}, {"Received-SPF", true}, {"Authentication-Results", true},
	} {
		if bytes.EqualFold(name, []byte(f.name)) {
			return f.name, f.trace
		}
	}
	return "", false
}

// add takes in one complete field.
func (h *header) add(f headerField) {
	switch f.name {
	case "Auto-Submitted", "Content-Type":
		// An over-long Auto-Submitted is no "no" (RFC 3834 §5): automatic,
		// as dsn.Parse would read it. An over-long Content-Type tells nothing.
		h.automatic = h.automatic || (f.long && f.name == "Auto-Submitted") ||
			(!f.long && marksAutomatic(f.name, f.value))
	default:
		if len(h.trace) < maxTraceFields {
			h.trace = append(h.trace, f)
		}
	}
}

// scanHeader reads the header with fr up to the empty line that ends it
// (RFC 5322 §2.1), or to EOF, keeping only what the rules read, and the
// trace fields only when asked: memory stays bounded whatever the
// header's length, and a field the rules skip costs no copy. Fields are
// unfolded (RFC 5322 §2.2.3). With reply, the fields the auto-reply rules
// read go to it too.
func scanHeader(fr *mailsyntax.FieldReader, trace bool, reply *replyHeader) (header, error) {
	var h header
	for fr.Next() {
		if name, isTrace := fieldKind(fr.Name()); name != "" && (trace || !isTrace) {
			h.add(headerField{name: name, value: unfolded(fr.Value()), long: fr.Long()})
		} else if reply != nil {
			reply.add(fr.Name(), fr.Value(), fr.Long())
		}
	}
	return h, fr.Err()
}

// unfolded is a field's value unfolded, leaving v as it is: the bytes
// may be the ones a DSN returns.
func unfolded(v []byte) string {
	if bytes.ContainsAny(v, "\r\n") {
		v = bytes.Clone(v)
	}
	return string(mailsyntax.Unfold(v))
}
