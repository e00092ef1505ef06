package mailsyntax

import (
	"errors"
	"io"
)

// A FieldReader reads the header fields of a message from a stream, in
// memory bounded by the longest field it keeps: a longer field is reported
// with its name only (Long), whatever its length, and the header is read
// to its end however long it is. It can also hold on to what it reads, so
// that the message can be read again from its first byte without reading
// the stream twice. Reset readies one for a stream.
type FieldReader struct {
	r       io.Reader
	max     int
	hold    int    // the most bytes held
	holding bool   // buf holds all that was read, from the first byte
	buf     []byte // buf[start:] is unread
	start   int
	eof     bool
	err     error

	scan        int // the field at buf[start:] is looked at from buf[start+scan]: see nextField
	name, value []byte
	long        bool
	longName    []byte // the name of a long field, kept across reads
}

const (
	// readSize is what a FieldReader asks its reader for at least: most
	// headers fit in one or two reads.
	readSize = 1024
	// maxReused bounds the buffer Reset reuses: a long header's is let go.
	maxReused = 64 << 10
)

// Reset makes fr read the header of r, keeping fields of up to maxField
// bytes, in the buffer fr read its last header in. With hold > 0, fr also
// holds on to all it reads of r, from the first byte, unless it has to
// read on holding more than hold bytes: a header that long is let go.
// See Held.
func (fr *FieldReader) Reset(r io.Reader, maxField, hold int) {
	buf := fr.buf[:0]
	if cap(buf) > maxReused {
		buf = nil
	}
	*fr = FieldReader{r: r, max: maxField, hold: hold, holding: hold > 0, buf: buf}
}

// Held returns all fr has read of its reader, from the first byte: the
// header and what it read past it, which the reader no longer has. It is
// valid until the next Reset. ok is false when Reset asked for nothing to
// be held, or when the header was too long to hold.
func (fr *FieldReader) Held() (b []byte, ok bool) {
	return fr.buf, fr.holding
}

// Next reads the next header field, skipping lines that are none. It
// returns false at the empty line that ends the header, at the end of the
// input, or on a read error (see Err).
func (fr *FieldReader) Next() bool {
	fr.long = false
	for {
		name, value, next, s, resume := nextField(fr.buf, fr.start, fr.start+fr.scan, fr.eof)
		fr.scan = 0 // fr.start moves on, but on More
		switch {
		case s == Field && name == nil:
			fr.start = next
			continue
		case s == Field && next-fr.start > fr.max:
			// A long field read whole is named as skipLong names one read
			// in pieces, from its first max bytes, so that how the input
			// was cut into reads changes nothing.
			name, _, isField := SplitField(fr.buf[fr.start : fr.start+fr.max])
			fr.start = next
			if isField {
				fr.name, fr.value, fr.long = name, nil, true
				return true
			}
		case s == Field:
			fr.name, fr.value, fr.long, fr.start = name, value, false, next
			return true
		case s == End:
			fr.start = next
			return false
		case len(fr.buf)-fr.start > fr.max:
			isField, ok := fr.skipLong()
			if !ok || isField {
				return ok
			}
		default:
			fr.scan = resume - fr.start // fill keeps it: it moves start and the field alike
			if !fr.fill() {
				return false
			}
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

// fill reads more after the unread bytes, moving them to the front of the
// buffer unless it holds what was read, and growing it only when a field
// (or what is held) does not fit. It returns false on a read error.
func (fr *FieldReader) fill() bool {
	// Reading on past the hold limit, the header is too long to hold.
	fr.holding = fr.holding && len(fr.buf) <= fr.hold
	n := len(fr.buf)
	if !fr.holding && cap(fr.buf)-n < readSize {
		// Moved only when the room after it runs short: moved on each
		// small read, a field would be copied over and over.
		n = copy(fr.buf, fr.buf[fr.start:])
		fr.buf, fr.start = fr.buf[:n], 0
	}
	if cap(fr.buf)-n < readSize {
		nb := make([]byte, n, max(2*cap(fr.buf), n+readSize))
		copy(nb, fr.buf)
		fr.buf = nb
	}
	m, err := ReadSome(fr.r, fr.buf[n:cap(fr.buf)])
	fr.buf = fr.buf[:n+m]
	switch {
	case errors.Is(err, io.EOF):
		fr.eof = true
	case err != nil:
		fr.err = err
		return false
	}
	return true
}
