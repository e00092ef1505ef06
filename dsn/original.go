package dsn

import (
	"bytes"
	"errors"
	"io"
	"mime/quotedprintable"
	"slices"
	"unicode/utf8"
)

const (
	// maxHeaderBlock bounds the original's header Compose reads before it
	// writes anything.
	maxHeaderBlock = 1 << 20
	// sevenBitScanLimit bounds the original Compose holds to check it is
	// 7-bit when SevenBit is set and there is no ReturnSizeLimit.
	sevenBitScanLimit = 4 << 20
	readChunk         = 4096
	copyBufSize       = 32 << 10
)

// original is what Compose knows of the original message: its header
// block, read in full, and as much of its body as it had to read.
type original struct {
	src        io.Reader
	buf        []byte // header block, its blank line, then body read so far
	headerLen  int    // the header lines, each with its line ending
	bodyStart  int    // after the blank line
	eof        bool   // src is exhausted: buf holds the whole message
	eightBit   bool   // the header has bytes over 0x7f
	utf8Header bool   // ... and they are UTF-8 (RFC 6532)
	msgID      []byte // the Message-ID, without brackets, when usable
}

// readHeader reads the original's header block (RFC 5322 §2.1): up to the
// first empty line, or all of the message when there is none.
func (o *original) readHeader(src io.Reader) error {
	o.src = src // o.buf comes empty, with room for a first chunk
	scanned := 0
	for {
		if end, body := headerEnd(o.buf, scanned); end >= 0 {
			o.headerLen, o.bodyStart = end, body
			break
		}
		scanned = max(0, len(o.buf)-2) // an end split across reads starts at most 2 bytes back
		if o.eof {
			o.headerLen, o.bodyStart = len(o.buf), len(o.buf)
			break
		}
		if len(o.buf) > maxHeaderBlock {
			return fieldError("original", "header longer than 1 MB")
		}
		if err := o.fill(maxHeaderBlock + readChunk); err != nil {
			return err
		}
	}
	header := o.buf[:o.headerLen]
	o.eightBit = !isASCIIText(header)
	o.utf8Header = o.eightBit && utf8.Valid(header)
	o.msgID = headerMessageID(header, o.utf8Header)
	return nil
}

// fill reads one more chunk of the original into buf, growing it by
// doubling but no further than want bytes.
func (o *original) fill(want int64) error {
	if len(o.buf) == cap(o.buf) {
		grow := min(max(readChunk, int64(cap(o.buf))), max(readChunk, want-int64(len(o.buf))))
		o.buf = slices.Grow(o.buf, int(grow))
	}
	// A reader that keeps returning nothing must not hang Compose; bufio
	// gives up the same way.
	for range 100 {
		n, err := o.src.Read(o.buf[len(o.buf):cap(o.buf)])
		o.buf = o.buf[:len(o.buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			o.eof = true
			return nil
		case err != nil:
			return err
		case n > 0:
			return nil
		}
	}
	return io.ErrNoProgress
}

// headerEnd finds the empty line that ends the header in b, looking from
// index from: it returns the length of the header lines and where the body
// starts, or -1.
func headerEnd(b []byte, from int) (end, body int) {
	if len(b) > 0 && from == 0 {
		// A message that starts with an empty line has no header.
		if b[0] == '\n' {
			return 0, 1
		}
		if len(b) > 1 && b[0] == '\r' && b[1] == '\n' {
			return 0, 2
		}
	}
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		switch {
		case lf+1 < len(b) && b[lf+1] == '\n':
			return lf + 1, lf + 2
		case lf+2 < len(b) && b[lf+1] == '\r' && b[lf+2] == '\n':
			return lf + 1, lf + 3
		}
		i = lf + 1
	}
	return -1, -1
}

// headerMessageID returns the Message-ID of a header block, without its
// angle brackets, when it is a plain id-left "@" id-right (RFC 5322
// §3.6.4), in UTF-8 for a UTF-8 header (RFC 6532 §3.2); else "".
func headerMessageID(header []byte, utf8OK bool) []byte {
	for len(header) > 0 {
		line := header
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i+1], header[i+1:]
		} else {
			header = nil
		}
		const name = "message-id:"
		if len(line) < len(name) || !bytes.EqualFold(line[:len(name)], []byte(name)) {
			continue
		}
		value := line[len(name):]
		// Unfold the continuation lines (RFC 5322 §2.2.3).
		for len(header) > 0 && (header[0] == ' ' || header[0] == '\t') {
			i := bytes.IndexByte(header, '\n')
			if i < 0 {
				i = len(header) - 1
			}
			v := bytes.TrimRight(value, "\r\n")
			value = append(v[:len(v):len(v)], header[:i+1]...) // a copy: buf stays intact
			header = header[i+1:]
		}
		value = bytes.TrimSpace(value)
		if len(value) < 3 || value[0] != '<' || value[len(value)-1] != '>' {
			return nil
		}
		id := value[1 : len(value)-1]
		if checkMessageID("", string(id), utf8OK) != nil || bytes.IndexByte(id, '@') < 0 {
			return nil
		}
		return id
	}
	return nil
}

// decideReturn settles how much of the original to return (RFC 3461 §4.3,
// §6.2), reading the body first when a size limit or a 7-bit path needs
// it known.
func (c *composer) decideReturn() error {
	o := &c.opts
	c.returned = ReturnHeaders
	switch {
	case o.Ret == RetFull:
		c.returned = ReturnFull
	case o.Ret == "" && o.DefaultReturn != "":
		c.returned = o.DefaultReturn
	}
	if c.orig.src == nil || len(c.orig.buf) == 0 {
		c.returned = ReturnNone
	}
	// RFC 3461 §4.3: RET=FULL asks for the full message on failure only.
	if c.returned == ReturnFull && c.worstAction() != ActionFailed {
		c.returned = ReturnHeaders
	}
	if c.returned != ReturnFull {
		return nil
	}
	limit := o.ReturnSizeLimit
	if o.SevenBit && limit == 0 {
		limit = sevenBitScanLimit
	}
	if limit == 0 {
		// Streamed later. Filling what is left of the buffer reads a small
		// original to its end, so it gets an exact Content-Transfer-Encoding.
		return c.orig.readUpTo(int64(cap(c.orig.buf)))
	}
	// Read up to one byte past the limit: enough to know it is exceeded.
	if err := c.orig.readUpTo(limit + 1); err != nil {
		return err
	}
	switch {
	case int64(len(c.orig.buf)) > limit:
		// RFC 3461 §6.2: headers only, never a cut body.
		c.returned = ReturnHeaders
	case o.SevenBit && !isASCIIText(c.orig.buf):
		// An 8-bit original cannot travel a 7-bit path as message/rfc822
		// (RFC 2046 §5.2.1 allows no encoding of it): headers only.
		c.returned = ReturnHeaders
	}
	return nil
}

// readUpTo reads the original until it holds n bytes or its end.
func (o *original) readUpTo(n int64) error {
	for !o.eof && int64(len(o.buf)) < n {
		if err := o.fill(n); err != nil {
			return err
		}
	}
	return nil
}

// writeReturned writes the third part: the original's header or all of
// it (RFC 6522 §3, RFC 3462, RFC 6532 §3.5).
func (c *composer) writeReturned() error {
	if c.returned == ReturnNone {
		return nil
	}
	o := &c.orig
	c.delimiter(false)
	full := c.returned == ReturnFull
	switch {
	case full && c.global:
		c.field("Content-Type", "message/global")
	case full:
		c.field("Content-Type", "message/rfc822")
	case c.global:
		c.field("Content-Type", "message/global-headers")
	default:
		c.field("Content-Type", "text/rfc822-headers")
	}
	var qp bool
	switch {
	case full && (!o.eof || o.eightBit || !isASCIIText(o.buf)):
		// Not known to be 7-bit; SevenBit paths never get here.
		c.field("Content-Transfer-Encoding", "8bit")
	case !full && o.eightBit && c.opts.SevenBit:
		// RFC 2045 §6.7: text/rfc822-headers and message/global-headers
		// may be encoded for a 7-bit path.
		c.field("Content-Transfer-Encoding", "quoted-printable")
		qp = true
	case !full && o.eightBit:
		c.field("Content-Transfer-Encoding", "8bit")
	}
	c.out.WriteString("\r\n")

	header := o.buf[:o.headerLen]
	if qp {
		q := quotedprintable.NewWriter(&c.out)
		q.Write(header)
		return q.Close()
	}
	c.lines = crlfWriter{w: &c.out}
	lines := &c.lines
	lines.Write(header)
	if len(header) > 0 && header[len(header)-1] != '\n' {
		lines.Write([]byte("\n")) // a header cut by the end of the message
	}
	lines.close()
	if !full {
		return nil
	}
	c.out.WriteString("\r\n")
	lines.Write(o.buf[o.bodyStart:])
	if !o.eof {
		if err := copyLines(lines, o.src); err != nil {
			return err
		}
	}
	lines.close()
	return nil
}

// copyLines streams the rest of the original: through the source's own
// WriteTo when it has one (a bytes.Reader hands over its bytes in one
// write), else through a buffer of 32 KB, so memory stays bounded.
func copyLines(lines *crlfWriter, src io.Reader) error {
	var err error
	if wt, ok := src.(io.WriterTo); ok {
		_, err = wt.WriteTo(lines)
	} else {
		_, err = io.CopyBuffer(lines, src, make([]byte, copyBufSize))
	}
	return err
}
