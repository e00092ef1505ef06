package dsn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// ErrNotDSN is the error Parse wraps for a message that is no delivery
// status notification: an auto-reply, a feedback report, a plain-text
// bounce, a multipart/report of another report-type.
var ErrNotDSN = errors.New("dsn: not a DSN")

// Limits that keep Parse's memory bounded whatever the input.
const (
	// maxStatusLen bounds a delivery-status part, as written: its body up
	// to the delimiter line, with the CRLF before that line. A larger one
	// is an error, and Compose refuses to write one. A real MTA's report,
	// up to a thousand recipients (Postfix's smtpd_recipient_limit) with
	// replies of a few hundred bytes each, takes about 1 MiB: twice that
	// leaves room. A hostile part of tiny fields costs Parse up to some 35
	// times its size in memory at the peak, so no more.
	maxStatusLen         = 2 << 20
	maxTextLen           = 64 << 10 // Report.Text; the rest is cut
	maxReturnedHeaderLen = 64 << 10 // Report.ReturnedHeader; later fields are left out
	maxMultipartDepth    = 16       // deeper multiparts are skipped as opaque
)

// statusLimit names maxStatusLen in errors.
func statusLimit() string { return strconv.Itoa(maxStatusLen>>20) + " MiB" }

// Parse reads a delivery status notification (RFC 3464, RFC 6522, RFC 6533)
// as real MTAs write them: fields in any order, folded, with comments, in
// any case, with CRLF or LF line breaks, the report nested in other
// multiparts, the delivery-status part base64 or quoted-printable encoded.
//
// The first message/delivery-status or message/global-delivery-status part
// of the MIME tree (outside returned messages) is the report. The first
// text/plain part is Text, decoded (ISO-8859-1 converted to UTF-8, other
// charsets left as sent), cut at 64 KiB, with its line breaks as LF. The
// first returned-content part sets Returned, and its header, read without
// the body, in order, unfolded as net/mail does, ReturnedHeader. From, To
// (their addresses), Subject (RFC 2047 decoded), Date and MessageID
// (without angle brackets) come from the DSN's own header. Type atoms are
// lowercased; addresses and texts are kept as written, unfolded (RFC 5322
// §2.2.3). Dates no known layout fits are left zero rather than failing
// the report.
//
// A message without a delivery-status part gives an error wrapping
// ErrNotDSN; a report that breaks RFC 3464 gives one wrapping
// ErrInvalidField that names the field and the rule. Memory stays bounded:
// a delivery-status part over 2 MiB is an error (Compose writes none
// larger) and the returned message's body is skipped, never held.
func Parse(r io.Reader) (*Report, error) {
	p := parser{
		m:   mimeReader{br: bufio.NewReaderSize(r, 4096), atBOL: true, field: make([]byte, 0, 256)},
		buf: make([]byte, 0, 1024),
	}
	var top partHeader
	_, ended := p.m.header(func(name, value []byte) bool {
		return top.contentField(name, value) || p.ownField(name, value)
	})
	if !ended {
		if _, err := p.part(top, 0); err != nil {
			return nil, err
		}
	}
	if p.m.err != nil {
		return nil, fmt.Errorf("dsn: reading message: %w", p.m.err)
	}
	if !p.seenStatus {
		return nil, fmt.Errorf("%w: %s", ErrNotDSN, p.notDSNReason(top))
	}
	if p.r.Returned == "" {
		p.r.Returned = ReturnNone
	}
	return &p.r, nil
}

// parser holds the state of one Parse call.
type parser struct {
	m          mimeReader
	r          Report
	seenStatus bool
	seenText   bool
	otherType  string // report-type of a multipart/report that is no DSN
	buf        []byte // scratch for collected bodies
}

// ownField reads the DSN's own header fields into the report and reports
// whether it took the field; of a repeated field the first counts.
func (p *parser) ownField(name, value []byte) bool {
	is := func(n string) bool { return bytes.EqualFold(name, []byte(n)) }
	r := &p.r
	switch {
	case is("From") && r.From == "":
		r.From = headerAddress(string(mailsyntax.Unfold(value)))
	case is("To") && r.To == "":
		r.To = headerAddress(string(mailsyntax.Unfold(value)))
	case is("Subject") && r.Subject == "":
		r.Subject = decodeSubject(string(mailsyntax.Unfold(value)))
	case is("Date") && r.Date.IsZero():
		r.Date = parseDate(string(mailsyntax.Unfold(value)))
	case is("Message-ID") && r.MessageID == "":
		r.MessageID = mailsyntax.Unbracket(string(mailsyntax.Unfold(value)))
	default:
		return false
	}
	return true
}

// decodeSubject decodes RFC 2047 encoded words; undecodable ones stay as
// they are.
func decodeSubject(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return dec
	}
	return v
}

// headerAddress is the address of a From or To field: what net/mail reads,
// else what is in angle brackets, else the value as it is.
func headerAddress(v string) string {
	if !strings.ContainsAny(v, " \t<>()\",;:\\") {
		return v // a bare addr-spec, the common case
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	i, j := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>')
	if i >= 0 && j > i {
		return v[i+1 : j]
	}
	return v
}

// part reads the body of a part with header h and returns the delimiter
// that ended it.
func (p *parser) part(h partHeader, depth int) (delim, error) {
	m := &p.m
	switch mt := h.contentType(); {
	case strings.HasPrefix(mt, "multipart/") && h.boundary != "" && depth < maxMultipartDepth:
		if mt == "multipart/report" && h.reportTyp != "delivery-status" &&
			h.reportTyp != "global-delivery-status" && p.otherType == "" {
			p.otherType = h.reportTyp
		}
		return p.multipart(h.boundary, depth+1)
	case (mt == "message/delivery-status" || mt == "message/global-delivery-status") && !p.seenStatus:
		p.seenStatus = true
		return p.deliveryStatus(h)
	case mt == "text/plain" && !p.seenText:
		p.seenText = true
		return p.text(h), nil
	case p.r.Returned == "" && returnedKind(mt) != "":
		p.r.Returned = returnedKind(mt)
		return p.returned(h), nil
	}
	return m.skip(), nil
}

// multipart reads the parts of a multipart body (RFC 2046 §5.1.1) and
// returns the delimiter of an enclosing multipart that ended it.
func (p *parser) multipart(boundary string, depth int) (delim, error) {
	m := &p.m
	m.bounds = append(m.bounds, boundary)
	level := len(m.bounds) - 1
	d := m.skip() // the preamble
	for d.depth == level {
		if d.final {
			m.bounds = m.bounds[:level]
			return m.skip(), nil // the epilogue
		}
		var h partHeader
		var ended bool
		if d, ended = m.header(h.contentField); ended {
			continue
		}
		var err error
		if d, err = p.part(h, depth); err != nil {
			return d, err
		}
	}
	m.bounds = m.bounds[:level]
	return d, nil
}

// deliveryStatus reads the report itself (RFC 3464 §2.1).
func (p *parser) deliveryStatus(h partHeader) (delim, error) {
	body, d, over := p.m.collect(p.buf[:0], maxStatusLen)
	p.buf = body
	if over {
		return d, fieldError("delivery-status", "part larger than "+statusLimit())
	}
	body, err := decodeBody(body, h.encoding)
	if err != nil {
		return d, fieldError("delivery-status", "Content-Transfer-Encoding "+h.encoding+": "+err.Error()+" (RFC 2045 §6)")
	}
	global := h.mediaType == "message/global-delivery-status"
	p.r.SMTPUTF8 = global
	return d, readDeliveryStatus(body, &p.r, global)
}

// text reads the human-readable part (RFC 6522 §3).
func (p *parser) text(h partHeader) delim {
	body, d, _ := p.m.collect(p.buf[:0], maxTextLen)
	p.buf = body
	if dec, err := decodeBody(body, h.encoding); err == nil {
		body = dec
	}
	if h.charset == "iso-8859-1" || h.charset == "latin1" {
		// The one legacy charset decodable without tables; others stay
		// as sent.
		body = latin1ToUTF8(body)
	}
	p.r.Text = string(lfText(body))
	return d
}

// latin1ToUTF8 converts ISO-8859-1 text, whose bytes are the code points.
func latin1ToUTF8(b []byte) []byte {
	if mailsyntax.IsASCII(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// lfText returns text with its line breaks as LF: CRLF and a bare CR each
// become one LF, as Go strings usually have them. It rewrites b in place.
func lfText(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	w := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			c = '\n'
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		}
		b[w] = c
		w++
	}
	return b[:w]
}

// returnedKind tells the kind of returned content a media type carries
// (RFC 3462 §2, RFC 6533 §6.3, §6.4), or "" for none.
func returnedKind(mediaType string) ReturnedContent {
	switch mediaType {
	case "message/rfc822", "message/global":
		return ReturnFull
	case "text/rfc822-headers", "message/global-headers", "message/rfc822-headers":
		return ReturnHeaders
	}
	return ""
}

// returned reads the header of the returned content, in order, and skips
// its body. Fields come as the MIME reader splits lines, at LF; one that
// holds a lone CR is split again with mailsyntax.NextField, so that its
// fields are the ones every other reader of this module sees (CRLF, LF
// and a lone CR each end a line), and an empty line of lone CRs ends the
// header.
func (p *parser) returned(h partHeader) delim {
	hdr := make(Header, 0, 16)
	size, ended := 0, false
	add := func(name, value []byte) bool {
		if size += len(name) + len(value); ended || size > maxReturnedHeaderLen {
			ended = true // later fields are left out
			return true
		}
		if !hasLoneCR(value) {
			hdr = p.appendField(hdr, name, value)
			return true
		}
		field := append(append(append([]byte(nil), name...), ':'), value...)
		for i := 0; ; {
			n, v, next, scan := mailsyntax.NextField(field, i, true)
			if scan != mailsyntax.Field {
				ended = i < len(field) // an empty line: the header's end
				return true
			}
			if n != nil {
				hdr = p.appendField(hdr, n, v)
			}
			i = next
		}
	}
	defer func() { p.r.ReturnedHeader = hdr }()
	if h.encoding != "base64" && h.encoding != "quoted-printable" {
		if d, ended := p.m.header(add); ended {
			return d
		}
		return p.m.skip()
	}
	// An encoded header part: decode what the limit allows, then read it.
	body, d, _ := p.m.collect(p.buf[:0], maxReturnedHeaderLen)
	p.buf = body
	if dec, err := decodeBody(body, h.encoding); err == nil {
		inner := mimeReader{br: bufio.NewReader(bytes.NewReader(dec)), atBOL: true}
		inner.header(add)
	}
	return d
}

// appendField appends a field to hdr, its value unfolded as net/mail does.
func (p *parser) appendField(hdr Header, name, value []byte) Header {
	var v string
	v, p.buf = joinFolded(value, p.buf)
	return append(hdr, Field{Name: string(name), Value: v})
}

// hasLoneCR reports whether b holds a CR that no LF follows.
func hasLoneCR(b []byte) bool {
	for i := bytes.IndexByte(b, '\r'); i >= 0; i = bytes.IndexByte(b, '\r') {
		if i+1 == len(b) || b[i+1] != '\n' {
			return true
		}
		b = b[i+1:]
	}
	return false
}

// joinFolded unfolds a header value as net/mail does: each line trimmed and
// the lines joined by one space, so that a Header's values are what
// mail.ReadMessage gives for the same header; unfold, by contrast, keeps
// the white space exactly, as delivery-status values must read back as
// written. CR and LF each end a line (the one line-break rule of
// mailsyntax). scratch is reused.
func joinFolded(v, scratch []byte) (string, []byte) {
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return string(bytes.TrimSpace(v)), scratch
	}
	out := scratch[:0]
	for len(v) > 0 {
		i := bytes.IndexAny(v, "\r\n")
		if i < 0 {
			i = len(v)
		}
		if line := bytes.TrimSpace(v[:i]); len(line) > 0 {
			if len(out) > 0 {
				out = append(out, ' ')
			}
			out = append(out, line...)
		}
		v = v[min(i+1, len(v)):]
	}
	return string(out), out
}

// notDSNReason says why a message is no DSN, for ErrNotDSN's text.
func (p *parser) notDSNReason(top partHeader) string {
	if p.otherType != "" {
		return "multipart/report with report-type " + p.otherType + " (RFC 6522 §3)"
	}
	return top.contentType() + " message without a message/delivery-status part"
}
