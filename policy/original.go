package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// maxHeader bounds how much of the original Decide reads to find its
// header: enough for any real header (Postfix's header_size_limit is
// 100 KiB), and never the body.
const maxHeader = 256 << 10

// original is the original message of an event, opened at most once per
// decision: its header is parsed for the rules, and the bytes read to do
// so are kept, so that a DSN returns the very bytes the rules looked at,
// followed by the rest of the stream.
type original struct {
	open   func() (io.ReadCloser, error) // nil: no original
	rc     io.ReadCloser
	read   bytes.Buffer // what the header parse consumed from rc
	header header
	err    error
}

// load opens the original and reads its header, once. A header cut short
// by maxHeader is used as far as it goes.
func (o *original) load() error {
	if o.rc != nil || o.err != nil || o.open == nil {
		return o.err
	}
	if o.rc, o.err = o.open(); o.err != nil {
		o.err = fmt.Errorf("policy: opening the original: %w", o.err)
		return o.err
	}
	// A small buffer: scanHeader joins longer lines itself.
	br := bufio.NewReaderSize(io.TeeReader(io.LimitReader(o.rc, maxHeader), &o.read), 1024)
	if o.header, o.err = scanHeader(br); o.err != nil {
		o.err = fmt.Errorf("policy: reading the original's header: %w", o.err)
	}
	return o.err
}

// Header returns the fields of the original's header the rules read; nil
// when there is no original.
func (o *original) Header() (header, error) {
	err := o.load()
	return o.header, err
}

// Reader returns the whole original, from its first byte; nil when there
// is no original. It may be called once.
func (o *original) Reader() (io.Reader, error) {
	if err := o.load(); err != nil || o.rc == nil {
		return nil, err
	}
	return io.MultiReader(&o.read, o.rc), nil
}

// Close closes the original, if it was opened.
func (o *original) Close() {
	if o.rc != nil {
		o.rc.Close()
	}
}

// isAutomatic reports whether the original is itself a bounce or an
// automatic message, which must not be answered by another (rule 4).
func isAutomatic(h header) bool {
	// RFC 3834 §5: any Auto-Submitted value but "no" marks an automatic
	// message, and RFC 3834 §2 forbids answering one automatically.
	for _, v := range h.values("Auto-Submitted") {
		keyword, _, _ := strings.Cut(stripComments(v), ";")
		if !strings.EqualFold(strings.TrimSpace(keyword), "no") {
			return true
		}
	}
	// RFC 6522 §3: a multipart/report is a report (a DSN, an MDN…).
	for _, v := range h.values("Content-Type") {
		mediaType, _, _ := strings.Cut(stripComments(v), ";")
		if strings.EqualFold(strings.TrimSpace(mediaType), "multipart/report") {
			return true
		}
	}
	return false
}

// stripComments removes RFC 5322 §3.2.2 comments, "(...)", nesting and
// quoted pairs included.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
