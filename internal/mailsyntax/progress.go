package mailsyntax

import (
	"errors"
	"io"
)

// maxEmptyReads is how many reads in a row may return nothing before a
// reader counts as stuck; bufio gives up after as many.
const maxEmptyReads = 100

// ErrInvalidRead says a reader returned a count outside 0 to len(b),
// which io.Reader forbids.
var ErrInvalidRead = errors.New("mailsyntax: reader returned an invalid count")

// ReadSome reads into b as r.Read does, but reads again when a read
// returns nothing, and gives up with io.ErrNoProgress after maxEmptyReads
// such reads: a reader that keeps returning nothing must not hang its
// caller. A count outside 0 to len(b) is ErrInvalidRead: taken, it would
// panic its caller, or drop bytes already read.
func ReadSome(r io.Reader, b []byte) (int, error) {
	for range maxEmptyReads {
		n, err := r.Read(b)
		switch {
		case n < 0 || n > len(b):
			return 0, ErrInvalidRead
		case n > 0 || err != nil || len(b) == 0:
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// Progressing returns r as a reader whose reads give up as ReadSome's do,
// for io.Copy, which would otherwise wait for ever.
func Progressing(r io.Reader) io.Reader { return progressReader{r} }

type progressReader struct{ r io.Reader }

func (p progressReader) Read(b []byte) (int, error) { return ReadSome(p.r, b) }
