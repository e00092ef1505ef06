package dsn

import "time"

// RFC 5322 §3.3 with a numeric zone, as RFC 3464 §2.1.5 wants.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// appendDate appends t in dateLayout. It writes the digits itself: the
// layout interpreter of time.AppendFormat costs more than the rest of a
// header field.
func appendDate(b []byte, t time.Time) []byte {
	if _, offset := t.Zone(); offset%60 != 0 {
		// RFC 5322 §3.3 zones are whole minutes: such a time goes in UTC,
		// the same instant, rather than rounded.
		t = t.UTC()
	}
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, dateLayout)
	}
	hour, minute, sec := t.Clock()
	_, offset := t.Zone()
	b = append(b, t.Weekday().String()[:3]...)
	b = append(b, ", "...)
	b = appendDigits(b, day, 2)
	b = append(b, ' ')
	b = append(b, month.String()[:3]...)
	b = append(b, ' ')
	b = appendDigits(b, year, 4)
	b = append(b, ' ')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, ' ')
	if offset < 0 {
		b = append(b, '-')
		offset = -offset
	} else {
		b = append(b, '+')
	}
	b = appendDigits(b, offset/3600, 2)
	return appendDigits(b, offset/60%60, 2)
}

// appendDigits appends n, 0 <= n < 10^width, zero-padded to width.
func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}
