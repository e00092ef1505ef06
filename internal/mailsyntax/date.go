package mailsyntax

import "time"

// DateLayout is the date-time of RFC 5322 §3.3 with a numeric zone, as
// RFC 3464 §2.1.5 wants.
const DateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// AppendDate appends t in DateLayout. It writes the digits itself: the
// layout interpreter of time.AppendFormat costs more than the rest of a
// header field.
func AppendDate(b []byte, t time.Time) []byte {
	_, offset := t.Zone()
	if offset%60 != 0 {
		// RFC 5322 §3.3 zones are whole minutes: such a time goes in UTC,
		// the same instant, rather than rounded.
		t, offset = t.UTC(), 0
	}
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, DateLayout)
	}
	hour, minute, sec := t.Clock()
	b = append(b, t.Weekday().String()[:3]...)
	b = append(b, ", "...)
	b = appendTwoDigits(b, day)
	b = append(b, ' ')
	b = append(b, month.String()[:3]...)
	b = append(b, ' ')
	b = appendTwoDigits(appendTwoDigits(b, year/100), year%100)
	b = append(b, ' ')
	b = appendTwoDigits(b, hour)
	b = append(b, ':')
	b = appendTwoDigits(b, minute)
	b = append(b, ':')
	b = appendTwoDigits(b, sec)
	b = append(b, ' ')
	if offset < 0 {
		b = append(b, '-')
		offset = -offset
	} else {
		b = append(b, '+')
	}
	b = appendTwoDigits(b, offset/3600)
	return appendTwoDigits(b, offset/60%60)
}

// appendTwoDigits appends the last two digits of n >= 0, zero-padded.
func appendTwoDigits(b []byte, n int) []byte {
	return append(b, byte('0'+n/10%10), byte('0'+n%10))
}
