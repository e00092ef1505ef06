package mailsyntax

import "bytes"

// NextBreak finds the first line break in b at or after i: CRLF, LF or a
// lone CR. It returns the break's index and the index after it, or -1, -1
// when b holds none, or ends in a CR that the next byte could make a
// CRLF (unless eof: then nothing more comes).
func NextBreak(b []byte, i int, eof bool) (at, after int) {
	// The LF is looked for in windows that double, from 1 KiB: looked for
	// in all of b, it could be far on, past many lines broken by lone CRs,
	// and their reading quadratic.
	at = -1
	for w := 1024; i < len(b); i, w = i+w, 2*w {
		win := b[i:min(len(b), i+w)]
		lf := bytes.IndexByte(win, '\n')
		if lf >= 0 {
			win = win[:lf]
		}
		if cr := bytes.IndexByte(win, '\r'); cr >= 0 {
			at = i + cr
			break
		}
		if lf >= 0 {
			return i + lf, i + lf + 1
		}
	}
	switch {
	case at < 0:
		return -1, -1
	case at+1 < len(b) && b[at+1] == '\n':
		return at, at + 2
	case at+1 < len(b) || eof:
		return at, at + 1 // a lone CR
	}
	return -1, -1 // the next byte decides
}

// HeaderEnd finds the empty line that ends the header block in b (RFC 5322
// §2.1), looking from index from, with NextBreak's line breaks. It returns
// the length of the header lines, each with its line break, and where the
// body starts; or -1, -1 when b does not hold the end, or not enough of it
// to tell (unless eof). A message that starts with an empty line has no
// header. It gives what a walk with NextBreak would, with bulk searches:
// the common CRLF header is found in two passes.
func HeaderEnd(b []byte, from int, eof bool) (end, body int) {
	if from == 0 && len(b) > 0 && (b[0] == '\n' || b[0] == '\r') {
		return endAt(0, afterBreak(b, 0, eof))
	}
	// An LF before another line break ends the header; so does a lone CR
	// before one, which is rare. The first of either wins.
	lfEnd, crlfs := len(b), 0
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		if lf > from && b[lf-1] == '\r' {
			crlfs++
		}
		if lf+1 == len(b) || b[lf+1] == '\n' || b[lf+1] == '\r' {
			lfEnd = lf + 1
			break
		}
		i = lf + 1
	}
	if bytes.Count(b[from:lfEnd], []byte{'\r'}) == crlfs {
		// Every CR so far is a CRLF's: no lone CR comes first.
		if lfEnd == len(b) {
			return -1, -1 // not there yet, or the next byte decides
		}
		return endAt(lfEnd, afterBreak(b, lfEnd, eof))
	}
	limit := len(b)
	cr := bytes.Index(b[from:], []byte("\r\r"))
	if cr >= 0 {
		limit = from + cr
	}
	for i := from; i < limit; {
		j := bytes.IndexByte(b[i:limit], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		if lf+1 == len(b) {
			return -1, -1 // the next byte decides
		}
		if c := b[lf+1]; c == '\n' || c == '\r' {
			return endAt(lf+1, afterBreak(b, lf+1, eof))
		}
		i = lf + 1
	}
	if cr >= 0 {
		return endAt(limit+1, afterBreak(b, limit+1, eof))
	}
	return -1, -1
}

// endAt is HeaderEnd's result for an end whose body start may be unknown.
func endAt(end, body int) (int, int) {
	if body < 0 {
		return -1, -1
	}
	return end, body
}

// afterBreak returns the index after the line break at b[i], or -1 when b
// ends before it can tell a CR from a CRLF.
func afterBreak(b []byte, i int, eof bool) int {
	switch {
	case b[i] == '\n':
		return i + 1
	case i+1 < len(b) && b[i+1] == '\n':
		return i + 2
	case i+1 < len(b) || eof:
		return i + 1
	}
	return -1
}
