package dsn

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// mimeReader walks a MIME message line by line (RFC 2046 §5.1) with one
// fixed buffer: parts are read or skipped as they pass, so a large returned
// message costs time, never memory.
type mimeReader struct {
	br     *bufio.Reader
	atBOL  bool     // the next chunk starts a line
	bounds []string // boundaries of the enclosing multiparts, outermost first
	field  []byte   // the header field being read
	err    error    // first read error other than io.EOF
}

// delim says where a body ended: at the delimiter line of the multipart at
// depth (an index into bounds), final for a close-delimiter, or at the end
// of the input (depth -1).
type delim struct {
	depth int
	final bool
}

var endOfInput = delim{depth: -1}

// chunk returns the next line with its line break, or the next piece of a
// line longer than the buffer. bol says whether it begins a line.
func (m *mimeReader) chunk() (b []byte, bol bool, ok bool) {
	if m.err != nil {
		return nil, false, false
	}
	bol = m.atBOL
	b, err := m.br.ReadSlice('\n')
	switch {
	case err == nil:
		m.atBOL = true
	case err == bufio.ErrBufferFull:
		m.atBOL = false
	case len(b) > 0:
		// A last line without a line break.
		m.atBOL = true
	default:
		if err != io.EOF {
			m.err = err
		}
		return nil, false, false
	}
	return b, bol, true
}

// delimiter reports whether line is the delimiter or close-delimiter line
// of an enclosing multipart (RFC 2046 §5.1.1: "--" boundary, optional "--",
// transport padding). The innermost match wins; an outer one also ends the
// parts inside it, which then lack their close-delimiter.
func (m *mimeReader) delimiter(line []byte) (delim, bool) {
	if len(m.bounds) == 0 || len(line) < 3 || line[0] != '-' || line[1] != '-' {
		return delim{}, false
	}
	rest := line[2:]
	for i := len(m.bounds) - 1; i >= 0; i-- {
		b := m.bounds[i]
		if len(rest) < len(b) || string(rest[:len(b)]) != b {
			continue
		}
		tail := rest[len(b):]
		final := bytes.HasPrefix(tail, []byte("--"))
		if final {
			tail = tail[2:]
		}
		if isBlank(tail) {
			return delim{depth: i, final: final}, true
		}
	}
	return delim{}, false
}

// skip reads a body up to the next delimiter line. It looks only at lines
// that start with "--", jumping over the others a buffer at a time: the
// returned message is most of a large report.
func (m *mimeReader) skip() delim {
	for {
		if m.atBOL {
			if start, err := m.br.Peek(2); len(start) < 2 || start[0] == '-' && start[1] == '-' {
				if err != nil && err != io.EOF && m.err == nil {
					m.err = err
				}
				if d, ok := m.lineDelimiter(); ok {
					return d
				}
				continue
			}
		}
		buf, _ := m.br.Peek(m.br.Buffered())
		if i := bytes.Index(buf, []byte("\n--")); i >= 0 {
			m.br.Discard(i + 1)
			m.atBOL = true
			continue
		}
		if len(buf) < 3 {
			// Too little buffered to search: take a line the slow way.
			if d, ok := m.lineDelimiter(); ok {
				return d
			}
			continue
		}
		// Keep the last two bytes: they may start "\n--".
		n := len(buf) - 2
		m.br.Discard(n)
		m.atBOL = buf[n-1] == '\n'
	}
}

// lineDelimiter reads a line, or a chunk of a long one, and reports
// whether it ends the body: a delimiter line, or the end of the input.
func (m *mimeReader) lineDelimiter() (delim, bool) {
	b, bol, ok := m.chunk()
	if !ok {
		return endOfInput, true
	}
	d, ok := m.delimiter(b)
	return d, ok && bol
}

// collect appends a body to dst up to the next delimiter line, without the
// line break before the delimiter, which belongs to it (RFC 2046 §5.1.1).
// Past limit bytes it keeps reading but stops appending and reports over.
func (m *mimeReader) collect(dst []byte, limit int) (body []byte, d delim, over bool) {
	start := len(dst)
	for {
		b, bol, ok := m.chunk()
		if !ok {
			return dst, endOfInput, over
		}
		if bol {
			if d, ok := m.delimiter(b); ok {
				return trimLastEOL(dst, start), d, over
			}
		}
		if len(dst)-start+len(b) > limit {
			over = true
			continue
		}
		dst = append(dst, b...)
	}
}

func trimLastEOL(b []byte, start int) []byte {
	if len(b) > start && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
		if len(b) > start && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
	}
	return b
}

// maxFieldLen bounds one header field; longer fields are cut, not stored
// whole.
const maxFieldLen = 64 << 10

// header reads a header up to its empty line and calls fn for each field
// with its name and raw value (line breaks kept); both are valid only
// during the call. What fn returns is ignored: it lets field readers be
// chained with ||. A delimiter line or the end of the input ends the header
// too, and the part has no body: then ended is true and d says where it
// ended.
func (m *mimeReader) header(fn func(name, value []byte) bool) (d delim, ended bool) {
	m.field = m.field[:0]
	emit := func() {
		if name, value, ok := mailsyntax.SplitField(m.field); ok {
			fn(name, value)
		}
		m.field = m.field[:0]
	}
	for {
		b, bol, ok := m.chunk()
		if !ok {
			emit()
			return endOfInput, true
		}
		if bol {
			if d, ok := m.delimiter(b); ok {
				emit()
				return d, true
			}
			if len(trimEOL(b)) == 0 {
				emit()
				return delim{}, false
			}
			// RFC 5322 §2.2.3: a line that does not start with WSP starts
			// a new field.
			if !mailsyntax.IsWSP(b[0]) {
				emit()
			}
		}
		m.field = append(m.field, b[:min(len(b), maxFieldLen-len(m.field))]...)
	}
}

// partHeader is what Parse needs of a MIME part's header.
type partHeader struct {
	mediaType string // lowercased; "" when absent
	boundary  string
	reportTyp string // report-type of multipart/report (RFC 6522 §3)
	charset   string // lowercased
	encoding  string // Content-Transfer-Encoding, lowercased
}

// contentType is the part's media type, text/plain when it has none
// (RFC 2045 §5.2).
func (h partHeader) contentType() string {
	if h.mediaType == "" {
		return "text/plain"
	}
	return h.mediaType
}

// contentField reads Content-Type and Content-Transfer-Encoding into h and
// reports whether name was one of them.
func (h *partHeader) contentField(name, value []byte) bool {
	switch {
	case bytes.EqualFold(name, []byte("Content-Type")):
		mt, params, err := mime.ParseMediaType(string(mailsyntax.Unfold(value)))
		if mt == "" && err != nil {
			return true
		}
		h.mediaType = mt
		h.boundary = params["boundary"]
		h.reportTyp = strings.ToLower(params["report-type"])
		h.charset = strings.ToLower(params["charset"])
	case bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
		h.encoding = strings.ToLower(string(mailsyntax.Unfold(value)))
	default:
		return false
	}
	return true
}

// decodeBody undoes a Content-Transfer-Encoding (RFC 2045 §6): base64 and
// quoted-printable; 7bit, 8bit, binary and unknown ones are kept as they are.
func decodeBody(b []byte, encoding string) ([]byte, error) {
	switch encoding {
	case "base64":
		// The decoder skips line breaks; other whitespace some writers leave.
		if bytes.ContainsAny(b, " \t") {
			b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte{' '}, nil), []byte{'\t'}, nil)
		}
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
		n, err := base64.StdEncoding.Decode(dst, b)
		return dst[:n], err
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	}
	return b, nil
}
