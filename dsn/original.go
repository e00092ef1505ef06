package dsn

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
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
	src       io.Reader
	buf       []byte // header block, its blank line, then body read so far
	headerLen int    // the header lines, each with its line ending
	bodyStart int    // after the blank line
	eof       bool   // src is exhausted: buf holds the whole message
	tooLong   bool   // the header is over maxHeaderBlock: none of it is returned
	eightBit  bool   // the header has bytes over 0x7f
	nul       bool   // the header has NUL bytes
	bodyEnc   string // the Content-Transfer-Encoding a full return needs
	msgID     []byte // the Message-ID, without brackets, when usable
	spare     []byte // room to grow buf into, kept by a reused Composer
}

// readHeader reads the original's header block (RFC 5322 §2.1): up to the
// first empty line, or all of the message when there is none. A header
// over maxHeaderBlock sets tooLong: an odd original is no reason for no
// report. utf8OK takes a UTF-8 Message-ID (RFC 6532 §3.2).
func (o *original) readHeader(src io.Reader, utf8OK bool) error {
	o.src = src // o.buf comes empty, with room for a first chunk
	scanned := 0
	for {
		if end, body := mailsyntax.HeaderEnd(o.buf, scanned, o.eof); end >= 0 {
			o.headerLen, o.bodyStart = end, body
			break
		}
		if o.eof {
			o.headerLen, o.bodyStart = len(o.buf), len(o.buf)
			break
		}
		// Two bytes past the end of a header decide it: with no end in
		// sight so far on, the header is over maxHeaderBlock, however the
		// reads cut it.
		if len(o.buf) >= maxHeaderBlock+2 {
			o.tooLong = true
			return nil
		}
		scanned = max(0, len(o.buf)-3) // an end split across reads starts at most 3 bytes back
		if err := o.fill(maxHeaderBlock + readChunk); err != nil {
			return err
		}
	}
	if o.headerLen > maxHeaderBlock {
		o.tooLong = true
		return nil
	}
	header := o.buf[:o.headerLen]
	o.eightBit = !mailsyntax.IsASCII(header)
	o.nul = bytes.IndexByte(header, 0) >= 0
	o.msgID = headerMessageID(header, utf8OK && o.eightBit && utf8.Valid(header))
	return nil
}

// fill reads one more chunk of the original into buf, growing it by
// doubling but no further than want bytes.
func (o *original) fill(want int64) error {
	if len(o.buf) == cap(o.buf) {
		grow := min(max(readChunk, int64(cap(o.buf))), max(readChunk, want-int64(len(o.buf))))
		o.grow(int(grow))
	}
	n, err := mailsyntax.ReadSome(o.src, o.buf[len(o.buf):cap(o.buf)])
	o.buf = o.buf[:len(o.buf)+n]
	if errors.Is(err, io.EOF) {
		o.eof, err = true, nil
	}
	return err
}

// grow gives buf room for exactly n more bytes: in the spare room when
// that is large enough, else in memory of its own, which, unlike with
// slices.Grow, is exactly that much, also under the race detector.
func (o *original) grow(n int) {
	need := len(o.buf) + n
	if need <= cap(o.spare) {
		o.buf = append(o.spare[:0:need], o.buf...) // buf may be in it already
		return
	}
	nb := make([]byte, len(o.buf), need)
	copy(nb, o.buf)
	o.buf = nb
}

// maxSpare bounds the room a reused Composer keeps for the next original.
const maxSpare = sevenBitScanLimit

// spareAfter is the room to keep for the next original: the larger of
// the spare room and the memory this one was read into, up to maxSpare;
// the Composer's scratch is no spare.
func (o *original) spareAfter() []byte {
	if c := cap(o.buf); c > readChunk && c > cap(o.spare) && c <= maxSpare {
		return o.buf[:0]
	}
	return o.spare
}

// headerMessageID returns the Message-ID of a header block, without its
// angle brackets and comments, when it is a plain id-left "@" id-right
// (RFC 5322 §3.6.4) short enough for a line, in UTF-8 when utf8OK
// (RFC 6532 §3.2); else nil. Two Message-ID fields give nil: RFC 5322
// §3.6 allows one, and which is the original's is unknown.
func headerMessageID(header []byte, utf8OK bool) []byte {
	var id []byte
	found := false
	for i := 0; ; {
		name, value, next, s := mailsyntax.NextField(header, i, true)
		if s == mailsyntax.End {
			return id
		}
		if bytes.EqualFold(name, []byte("Message-ID")) {
			if found {
				return nil
			}
			found = true
			id = fieldMessageID(value, utf8OK)
		}
		i = next
	}
}

// fieldMessageID returns the id of a Message-ID field's value as
// headerMessageID takes it, or nil.
func fieldMessageID(value []byte, utf8OK bool) []byte {
	value = bytes.TrimSpace(value)
	if bytes.ContainsAny(value, "(\n") {
		// Rare: unfolded, without comments, in a copy.
		v, _ := joinFolded(value, nil)
		v, _ = mailsyntax.StripComments(v)
		value = []byte(v)
	}
	n := len(value)
	if n < 2 || value[0] != '<' || value[n-1] != '>' {
		return nil
	}
	if id := value[1 : n-1]; checkMessageID("", string(id), utf8OK) == nil {
		return id
	}
	return nil
}

// lineEnd returns the index after the LF that ends the line at b[i], or
// len(b).
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
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
	if c.orig.src == nil || len(c.orig.buf) == 0 || c.orig.tooLong {
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
	// Read up to one byte past the limit: enough to know it is exceeded.
	// Without a limit, what is left of the buffer: a small original is
	// read to its end, so it gets an exact Content-Transfer-Encoding.
	held := limit + 1
	if limit == 0 {
		held = int64(cap(c.orig.buf))
	}
	if err := c.orig.readUpTo(held); err != nil {
		return err
	}
	c.orig.bodyEnc = enc8bit // streamed on unseen, and labelled for the worst
	switch {
	case limit > 0 && int64(len(c.orig.buf)) > limit:
		// RFC 3461 §6.2: headers only, never a cut body.
		c.returned = ReturnHeaders
		return nil
	case !c.orig.eof:
		return nil
	}
	switch c.orig.bodyEnc = contentEncoding(c.orig.buf); {
	case c.orig.bodyEnc == encBinary:
		// RFC 2045 §2.8: NUL or a line over 998 bytes is binary, which
		// SMTP carries only with BINARYMIME (RFC 3030): headers only,
		// never a changed body.
		c.returned = ReturnHeaders
	case c.orig.bodyEnc == enc8bit && o.SevenBit:
		// An 8-bit original cannot travel a 7-bit path as message/rfc822
		// (RFC 2046 §5.2.1 allows no encoding of it): headers only.
		c.returned = ReturnHeaders
	}
	return nil
}

// contentEncoding classifies b (RFC 2045 §2.7 to §2.9): 7bit, 8bit, or
// binary when it holds NUL or a line over 998 bytes, with CRLF, LF and a
// lone CR as line breaks.
func contentEncoding(b []byte) string {
	switch {
	case bytes.IndexByte(b, 0) >= 0 || hasLongLine(b):
		return encBinary
	case !mailsyntax.IsASCII(b):
		return enc8bit
	}
	return enc7bit
}

func hasLongLine(b []byte) bool {
	// Most originals are CRLF lines, which the vector check can prove short
	// at once: the first and the last line are only measured.
	first, last := bytes.IndexByte(b, '\n'), bytes.LastIndexByte(b, '\n')
	if first >= 0 && first <= maxLineLen && len(b)-last-1 <= maxLineLen && linesProven(b[first:last+1]) {
		return false
	}
	for start := 0; start < len(b); {
		end := lineEnd(b, start)
		// A lone CR ends a line too, and a CRLF's CR an empty piece.
		for line := bytes.TrimSuffix(b[start:end], []byte("\n")); len(line) > maxLineLen; {
			cr := bytes.IndexByte(line, '\r')
			if cr < 0 || cr > maxLineLen {
				return true
			}
			line = line[cr+1:]
		}
		start = end
	}
	return false
}

// readUpTo reads the original until it holds n bytes or its end. A source
// that knows how much it holds, such as a bytes.Reader, gets one buffer
// of that size, and a byte to see its end, rather than a doubling series.
func (o *original) readUpTo(n int64) error {
	if l, ok := o.src.(interface{ Len() int }); ok && !o.eof {
		if grow := min(n, int64(len(o.buf)+l.Len()+1)) - int64(len(o.buf)); grow > 0 {
			o.grow(int(grow))
		}
	}
	for !o.eof && int64(len(o.buf)) < n {
		if err := o.fill(n); err != nil {
			return err
		}
	}
	return nil
}

// returnedEncoding is the Content-Transfer-Encoding of the returned part,
// "" for 7bit (RFC 2045 §6.1). A header goes quoted-printable toward a
// 7-bit path, or with NUL bytes (RFC 2045 §6.7: text/rfc822-headers may
// be encoded); a full return as decideReturn found it.
func (c *composer) returnedEncoding() string {
	o := &c.orig
	switch {
	case c.returned == ReturnNone:
		return ""
	case c.returned == ReturnFull:
		if o.bodyEnc == enc7bit {
			return ""
		}
		return o.bodyEnc
	case o.nul || o.eightBit && c.opts.SevenBit:
		return encQuotedPrintable
	case o.eightBit:
		return enc8bit
	}
	return ""
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
	if c.returnedEnc != "" {
		c.field("Content-Transfer-Encoding", c.returnedEnc)
	}
	c.out.WriteString("\r\n")

	header := o.buf[:o.headerLen]
	if c.returnedEnc == encQuotedPrintable {
		return writeQuotedPrintable(&c.out, header)
	}
	c.lines = crlfWriter{w: &c.out}
	lines := &c.lines
	lines.Write(header)
	if n := len(header); n > 0 && header[n-1] != '\n' && header[n-1] != '\r' {
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
		_, err = io.CopyBuffer(lines, mailsyntax.Progressing(src), make([]byte, copyBufSize))
	}
	return err
}
