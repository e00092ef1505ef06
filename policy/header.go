package policy

import (
	"bufio"
	"bytes"
	"io"
	"strings"
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
		// An over-long field is no field a mailer writes: skipped.
		h.automatic = h.automatic || (!f.long && marksAutomatic(f.name, f.value))
	default:
		if len(h.trace) < maxTraceFields {
			h.trace = append(h.trace, f)
		}
	}
}

// fieldBuf accumulates the field being read.
type fieldBuf struct {
	name  string // "" when the field is not kept
	value []byte
	long  bool
}

func (b *fieldBuf) start(line []byte) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	// RFC 5322 §4.5.1: obsolete space before ":".
	b.name, _ = fieldKind(bytes.TrimRight(name, " \t"))
	if !ok {
		b.name = ""
	}
	b.value, b.long = b.value[:0], false
	b.append(value)
}

func (b *fieldBuf) append(p []byte) {
	if b.name == "" || b.long {
		return
	}
	if len(b.value)+len(p) > maxFieldLen {
		b.long, b.value = true, b.value[:0]
		return
	}
	b.value = append(b.value, p...)
}

// flush hands the field, if kept, to h.
func (b *fieldBuf) flush(h *header) {
	if b.name != "" {
		h.add(headerField{name: b.name, value: string(bytes.TrimSpace(b.value)), long: b.long})
		b.name = ""
	}
}

// scanHeader reads the header up to the empty line that ends it (RFC 5322
// §2.1), or to EOF, keeping only what the rules read: memory stays bounded
// whatever the header's length. Continuation lines are unfolded (RFC 5322
// §2.2.3). A line that is no field is skipped: the message was accepted
// already, and the fields sought are advisory. br's buffer must hold the
// longest field name sought.
func scanHeader(br *bufio.Reader) (header, error) {
	var (
		h      header
		f      fieldBuf
		inLine bool // the last read ended inside a line longer than br's buffer
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return h, err
		}
		text := bytes.TrimRight(chunk, "\r\n")
		switch {
		case inLine:
			f.append(text)
		case len(text) == 0 && err == bufio.ErrBufferFull:
			f.flush(&h) // a run of line breaks: no field
		case len(text) == 0:
			f.flush(&h)
			return h, nil
		case text[0] == ' ' || text[0] == '\t':
			f.append([]byte{' '})
			f.append(bytes.TrimLeft(text, " \t"))
		default:
			f.flush(&h)
			f.start(text)
		}
		inLine = err == bufio.ErrBufferFull
		if err == io.EOF {
			f.flush(&h)
			return h, nil
		}
	}
}

// receivedBy returns the host named by the "by" clause of a Received
// field (RFC 5321 §4.4 Stamp), or "".
func receivedBy(value string) string {
	words := strings.Fields(stripComments(value))
	for i := 0; i+1 < len(words); i++ {
		if strings.EqualFold(words[i], "by") {
			return strings.TrimSuffix(words[i+1], ";")
		}
	}
	return ""
}
