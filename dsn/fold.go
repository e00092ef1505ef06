package dsn

import "github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

// RFC 5322 §2.1.1: lines MUST stay within 998 characters.
const (
	maxLineLen = mailsyntax.MaxLineLen
	// maxWordLen bounds what mailsyntax.WriteFolded may have to put on a
	// line of its own, a piece, with room to spare for the space it folds
	// before.
	maxWordLen = 900
)

// piece measures a value as mailsyntax.WriteFolded breaks it into pieces: it folds
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
