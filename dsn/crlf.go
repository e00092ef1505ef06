package dsn

import (
	"bytes"
	"io"
	"mime/quotedprintable"
)

// writeQuotedPrintable writes b quoted-printable (RFC 2045 §6.7), each of
// its line breaks, CRLF, LF or a bare CR (RFC 5322 §2.1), a hard one.
// mime/quotedprintable alone takes the LF of "\r\x00\n" for the CR's,
// losing a line break: it is given LF breaks only.
func writeQuotedPrintable(w io.Writer, b []byte) error {
	if bytes.IndexByte(b, '\r') >= 0 {
		b = lfText(bytes.Clone(b))
	}
	q := quotedprintable.NewWriter(w)
	if _, err := q.Write(b); err != nil {
		return err
	}
	return q.Close()
}

// crlfWriter writes text with every line ending as CRLF (RFC 5322 §2.1):
// a bare LF or a bare CR becomes CRLF, CRLF passes through. A line longer
// than SMTP can carry (998 bytes, RFC 5321 §4.5.3.1.6) is broken with CRLF
// and a space, as Postfix does, which keeps a header line a folded one.
// Runs of lines that are already correct go through in one write per
// block, so well-formed input is copied at close to memory speed.
type crlfWriter struct {
	w *sink
	// cr is set when the last byte written was a CR that may still pair
	// with an LF at the start of the next write.
	cr  bool
	col int // bytes on the current line
}

// crlfBlock is how much Write checks before it copies: little enough that
// the block the check has just read is still in a core's L2 cache when
// the copy reads it again (larger blocks measured no faster).
const crlfBlock = 256 << 10

func (c *crlfWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > crlfBlock && c.w.err == nil {
		c.write(p[:crlfBlock])
		p = p[crlfBlock:]
	}
	c.write(p)
	if c.w.err != nil {
		return 0, c.w.err
	}
	return n, nil
}

func (c *crlfWriter) write(p []byte) {
	if c.cr && len(p) > 0 {
		c.cr = false
		c.w.WriteByte('\n')
		if p[0] == '\n' {
			p = p[1:]
		}
	}
	// The fast path: the complete lines that need no change.
	k := c.cleanLines(p)
	c.w.Write(p[:k])
	p = p[k:]
	start := 0 // p[start:i] is correct and not yet written
	// next is the next LF at or after i, or len(p); kept across lines,
	// as a run of lone CRs would otherwise search to the end for each.
	next := -1
	for i := 0; i < len(p); {
		if next < i {
			next = len(p)
			if j := bytes.IndexByte(p[i:], '\n'); j >= 0 {
				next = i + j
			}
		}
		j := next - i
		if next == len(p) {
			j = -1
		}
		end := len(p) // the line's content is p[i:end]
		if j >= 0 {
			end = i + j
		}
		crlf := end > i && j >= 0 && p[end-1] == '\r'
		if crlf {
			end--
		}
		bareCR := false
		if k := bytes.IndexByte(p[i:end], '\r'); k >= 0 {
			end, bareCR = i+k, true
		}
		if c.col+end-i > maxLineLen {
			cut := i + maxLineLen - c.col
			c.w.Write(p[start:cut])
			c.w.WriteString("\r\n ")
			start, i, c.col = cut, cut, 1
			continue
		}
		c.col += end - i
		switch {
		case bareCR:
			i = end + 1
			c.w.Write(p[start:i])
			start, c.col = i, 0
			if i == len(p) {
				c.cr = true // its LF may come with the next write
				continue
			}
			c.w.WriteByte('\n')
			continue
		case j < 0:
			i = len(p)
			continue
		case !crlf:
			lf := i + j
			c.w.Write(p[start:lf])
			c.w.WriteString("\r\n") // a bare LF
			start = lf + 1
		}
		i, c.col = i+j+1, 0
	}
	c.w.Write(p[start:])
}

// cleanLines returns the length of the run of complete lines at the start
// of p that already end in CRLF, hold no bare CR and fit in 998 bytes.
func (c *crlfWriter) cleanLines(p []byte) int {
	// The first line is searched for: it may go on from the last write.
	end := searchLines(p, c.col, 1)
	if end == 0 {
		return 0
	}
	if last := bytes.LastIndexByte(p, '\n'); linesProven(p[end-1 : last+1]) {
		end = last + 1
	} else {
		end += searchLines(p[end:], 0, -1)
	}
	c.col = 0
	return end
}

// searchLines returns the length of the run of up to max complete lines
// (all, when max < 0) at the start of p that end in CRLF, hold no bare CR
// and fit in 998 bytes, col bytes of the first one having been written
// before: one IndexByte per line, and one count of the CRs for them all.
func searchLines(p []byte, col, max int) int {
	end, lines := 0, 0
	for lines != max {
		j := bytes.IndexByte(p[end:], '\n')
		if j <= 0 || p[end+j-1] != '\r' || col+j-1 > maxLineLen {
			break
		}
		end += j + 1
		lines++
		col = 0
	}
	if lines == 0 || bytes.Count(p[:end], []byte{'\r'}) != lines {
		return 0
	}
	return end
}

// close completes a CR left waiting for its LF.
func (c *crlfWriter) close() {
	if c.cr {
		c.w.WriteByte('\n')
		c.cr, c.col = false, 0
	}
}
