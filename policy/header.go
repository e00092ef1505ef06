package policy

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// header holds the fields of the original's header that the rules read,
// in order, unfolded: Auto-Submitted and Content-Type (rule 4),
// Received-SPF and Authentication-Results (rule 8). Other fields are
// skipped without being kept.
type header []headerField

type headerField struct{ name, value string }

// isRuleField reports whether a field named name is one the rules read.
func isRuleField(name []byte) bool {
	for _, want := range [...]string{"Auto-Submitted", "Content-Type", "Received-SPF", "Authentication-Results"} {
		if bytes.EqualFold(name, []byte(want)) {
			return true
		}
	}
	return false
}

// values returns the values of the fields named name, topmost first.
func (h header) values(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			out = append(out, f.value)
		}
	}
	return out
}

// scanHeader reads header fields up to the empty line that ends the header
// (RFC 5322 §2.1), unfolding continuation lines (RFC 5322 §2.2.3). A line
// that is no field is skipped: the message was accepted already, and the
// fields sought are advisory. The header ends early at EOF.
func scanHeader(br *bufio.Reader) (header, error) {
	var (
		h    header
		long []byte // a line longer than br's buffer, joined
		keep bool   // whether continuation lines belong to a kept field
	)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return h, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			return h, nil
		case line[0] == ' ' || line[0] == '\t':
			if keep {
				h[len(h)-1].value += " " + string(bytes.TrimSpace(line))
			}
		default:
			name, value, ok := bytes.Cut(line, []byte(":"))
			name = bytes.TrimRight(name, " \t") // RFC 5322 §4.5.1: obsolete space before ":"
			keep = ok && isRuleField(name)
			if keep {
				h = append(h, headerField{string(name), string(bytes.TrimSpace(value))})
			}
		}
		if err == io.EOF {
			return h, nil
		}
	}
}
