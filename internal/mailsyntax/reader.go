package mailsyntax

import (
	"errors"
	"io"
)

// A FieldReader reads the header fields of a message from a stream, in
// memory bounded by the longest field it keeps: a longer field is reported
// with its name only (Long), whatever its length, and the header is read
// to its end however long it is.
type FieldReader struct {
	r     io.Reader
	max   int
	buf   []byte // buf[start:] is unread
	start int
	eof   bool
	err   error

	name, value []byte
	long        bool
	longName    []byte // the name of a long field, kept across reads
}

// readSize is what a FieldReader asks its reader for at least: most
// headers fit in one or two reads.
const readSize = 1024

// NewFieldReader returns a FieldReader of r that keeps fields of up to
// maxField bytes.
func NewFieldReader(r io.Reader, maxField int) *FieldReader {
	return &FieldReader{r: r, max: maxField}
}

// Next reads the next header field, skipping lines that are none. It
// returns false at the empty line that ends the header, at the end of the
// input, or on a read error (see Err).
func (fr *FieldReader) Next() bool {
	fr.long = false
	for {
		name, value, next, s := NextField(fr.buf, fr.start, fr.eof)
		switch {
		case s == Field && name == nil:
			fr.start = next
			continue
		case s == Field:
			fr.name, fr.value, fr.long, fr.start = name, value, next-fr.start > fr.max, next
			if fr.long {
				fr.value = nil // however it was read, a long field is only named
			}
			return true
		case s == End:
			fr.start = next
			return false
		case len(fr.buf)-fr.start > fr.max:
			isField, ok := fr.skipLong()
			if !ok || isField {
				return ok
			}
		case !fr.fill():
			return false
		}
	}
}

// Name returns the name of the field Next read; valid until the next call.
func (fr *FieldReader) Name() []byte { return fr.name }

// Value returns the raw value of the field Next read, line breaks kept
// (see Unfold), or nil for a long one; valid until the next call.
func (fr *FieldReader) Value() []byte { return fr.value }

// Long reports whether the field Next read is over the limit; its value
// was not kept.
func (fr *FieldReader) Long() bool { return fr.long }

// Err returns the first read error, if any.
func (fr *FieldReader) Err() error { return fr.err }

// skipLong reads past the field at buf[start:], longer than fr.max; when
// it is a field, it is the one Next read, with its name only. ok is false
// on a read error.
func (fr *FieldReader) skipLong() (isField, ok bool) {
	name, _, isField := SplitField(fr.buf[fr.start : fr.start+fr.max])
	fr.longName = append(fr.longName[:0], name...)
	for pos := fr.start; ; pos = fr.start {
		at, after := NextBreak(fr.buf, pos, fr.eof)
		switch {
		case at >= 0 && after < len(fr.buf) && IsWSP(fr.buf[after]):
			fr.start = after // a continuation line
			continue
		case at >= 0 && (after < len(fr.buf) || fr.eof):
			fr.start = after
		case fr.eof:
			fr.start = len(fr.buf)
		case at >= 0:
			fr.start = at // the next byte decides: keep the break
			if !fr.fill() {
				return false, false
			}
			continue
		default:
			fr.start = len(fr.buf) - 1 // a CR there may start a CRLF
			if !fr.fill() {
				return false, false
			}
			continue
		}
		fr.name, fr.value, fr.long = fr.longName, nil, true
		return isField, true
	}
}

// fill moves the unread bytes to the front of the buffer and reads more
// after them, growing the buffer only when a field does not fit. It
// returns false on a read error.
func (fr *FieldReader) fill() bool {
	n := copy(fr.buf, fr.buf[fr.start:])
	fr.buf, fr.start = fr.buf[:n], 0
	if cap(fr.buf)-n < readSize {
		nb := make([]byte, n, max(2*cap(fr.buf), n+readSize))
		copy(nb, fr.buf)
		fr.buf = nb
	}
	// A reader that keeps returning nothing must not hang us; bufio gives
	// up the same way.
	for range 100 {
		m, err := fr.r.Read(fr.buf[n:cap(fr.buf)])
		fr.buf = fr.buf[:n+m]
		switch {
		case errors.Is(err, io.EOF):
			fr.eof = true
			return true
		case err != nil:
			fr.err = err
			return false
		case m > 0:
			return true
		}
	}
	fr.err = io.ErrNoProgress
	return false
}
