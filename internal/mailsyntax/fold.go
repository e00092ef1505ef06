package mailsyntax

import "bytes"

// RFC 5322 §2.1.1: lines SHOULD stay within 78 characters and MUST stay
// within 998.
const (
	FoldAt     = 78
	MaxLineLen = 998
)

// LineWriter is what WriteFolded writes to: a bytes.Buffer, a
// strings.Builder, or a writer of one's own that keeps its first error.
type LineWriter interface {
	Write(p []byte) (int, error)
	WriteString(s string) (int, error)
}

// WriteFolded writes one header field, line = "Name: value", and its
// CRLF, folding before spaces so lines stay within FoldAt characters
// where the value allows (RFC 5322 §2.2.3). Folding only inserts CRLF
// before an existing space, so unfolding (removing the CRLFs) gives back
// the value exactly. nameLen is the length of "Name:", before which no
// fold may happen. A word longer than a line stays whole: the caller
// keeps words within MaxLineLen.
func WriteFolded[W LineWriter](w W, line []byte, nameLen int) {
	from := nameLen + 1
	for len(line) > FoldAt {
		cut := foldPoint(line, from)
		if cut < 0 {
			break
		}
		w.Write(line[:cut])
		w.WriteString("\r\n")
		line = line[cut:]
		from = 1 // the continuation starts with the space folded before
	}
	w.Write(line)
	w.WriteString("\r\n")
}

// foldPoint returns the index of the space to fold before: the last one
// within FoldAt characters, else the first one after, such that both
// sides keep something other than spaces. It returns -1 when there is
// none.
func foldPoint(line []byte, from int) int {
	best := -1
	for i := from; i < len(line); i++ {
		if line[i] != ' ' || line[i-1] == ' ' {
			continue
		}
		// A fold before a run of spaces: the rest must hold a non-space.
		if len(bytes.TrimLeft(line[i:], " ")) == 0 {
			break
		}
		if i > FoldAt && best >= 0 {
			break
		}
		best = i
		if i > FoldAt {
			break
		}
	}
	return best
}
