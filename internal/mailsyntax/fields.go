package mailsyntax

import "bytes"

// Scan is what NextField found.
type Scan int

// The outcomes of NextField.
const (
	// Field: a header field, or a line that is none (Name nil), skipped by
	// readers: the message was accepted already.
	Field Scan = iota
	// End: the empty line that ends the header, or the end of the input.
	End
	// More: the input ends before the field does, or before its end can be
	// told (a continuation line may follow): read more.
	More
)

// NextField reads the header field that starts at b[i] (RFC 5322 §2.2): a
// line and its continuation lines, which start with WSP (§2.2.3). It
// returns the field's name and raw value, line breaks kept (see Unfold),
// and where the next line starts; for End, where the body starts. eof says
// that b holds all the input there is.
func NextField(b []byte, i int, eof bool) (name, value []byte, next int, s Scan) {
	name, value, next, s, _ = nextField(b, i, i, eof)
	return name, value, next, s
}

// nextField is NextField looking for the field's next line break from
// b[from], from i or where an earlier call left off on More (resume): no
// line break of the field lies in b[i:from] but for continuation lines'.
// A reader that gets a field in many small reads resumes where it was:
// walked from i on each read, the field's lines would be read again and
// again (RFC 5322 §2.2.3: a field may be folded into many).
func nextField(b []byte, i, from int, eof bool) (name, value []byte, next int, s Scan, resume int) {
	if i >= len(b) {
		if eof {
			return nil, nil, len(b), End, i
		}
		return nil, nil, i, More, i
	}
	end := from
	for {
		at, after := NextBreak(b, end, eof)
		switch {
		case at < 0 && !eof:
			// No break in b[end:], but for a CR at its last byte.
			return nil, nil, i, More, max(end, len(b)-1)
		case at < 0:
			at, after = len(b), len(b) // a last line without a break
		case at == i:
			return nil, nil, after, End, i // the empty line
		case after == len(b) && !eof:
			return nil, nil, i, More, at // the next byte may continue the field
		}
		end = at
		if after < len(b) && IsWSP(b[after]) {
			end = after // a continuation line
			continue
		}
		name, value, _ = SplitField(b[i:end])
		return name, value, after, Field, after
	}
}

// SplitField splits "Name: value" into a field name that follows RFC 5322
// §3.6.8 (printable ASCII but colon) and the raw value. ok is false for a
// line that is no header field, such as an mbox "From " line.
func SplitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	// RFC 5322 §4.5.1: obsolete WSP before the colon.
	name = bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return nil, nil, false
		}
	}
	return name, line[i+1:], true
}

// Unfold removes the line breaks of a folded field value in place,
// keeping the white space after each (RFC 5322 §2.2.3), and trims the
// value.
func Unfold(v []byte) []byte {
	if bytes.ContainsAny(v, "\r\n") {
		w := 0
		for _, c := range v {
			if c != '\r' && c != '\n' {
				v[w] = c
				w++
			}
		}
		v = v[:w]
	}
	return bytes.TrimSpace(v)
}
