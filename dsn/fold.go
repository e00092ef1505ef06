package dsn

import "bytes"

// RFC 5322 §2.1.1: lines SHOULD stay within 78 characters and MUST stay
// within 998.
const (
	foldAt     = 78
	maxLineLen = 998
	// maxWordLen bounds what writeFolded may have to put on a line of its
	// own, a piece, with room to spare for the space it folds before.
	maxWordLen = 900
)

// piece measures a value as writeFolded breaks it into pieces: it folds
// only before the first space of a run, so a piece is a word and the run
// of spaces before it, that first space, the fold's, not counted.
type piece struct {
	n     int  // bytes in the piece so far
	space bool // the last character was a space
}

// next is p after one more character of size bytes.
func (p piece) next(space bool, size int) piece {
	if space && !p.space {
		return piece{space: true} // a fold may come here: a new piece
	}
	return piece{n: p.n + size, space: space}
}

// writeFolded writes one header field, line = "Name: value", and its CRLF,
// folding before spaces so lines stay within 78 characters where the value
// allows (RFC 5322 §2.2.3). Folding only inserts CRLF before an existing
// space, so unfolding (removing the CRLFs) gives back the value exactly.
// nameLen is the length of "Name:", before which no fold may happen.
func writeFolded(w *sink, line []byte, nameLen int) {
	from := nameLen + 1
	for len(line) > foldAt {
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
// within 78 characters, else the first one after, such that both sides
// keep something other than spaces. It returns -1 when there is none.
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
		if i > foldAt && best >= 0 {
			break
		}
		best = i
		if i > foldAt {
			break
		}
	}
	return best
}
