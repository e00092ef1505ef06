package dsn

import "strconv"

// Status is an enhanced mail system status code (RFC 3463 §2):
// class.subject.detail, such as 5.1.1. The zero value means "no status".
type Status struct {
	Class, Subject, Detail int
}

// ParseStatus parses an enhanced status code such as "5.1.1". The class
// must be 2, 4 or 5; subject and detail are 1 to 3 digits without leading
// zeros (RFC 3463 §2).
func ParseStatus(s string) (Status, error) {
	// RFC 3463 §2: class "." subject "." detail.
	if len(s) < 5 || s[1] != '.' {
		return Status{}, statusError(s, "want class.subject.detail (RFC 3463 §2)")
	}
	var st Status
	switch s[0] {
	case '2', '4', '5':
		st.Class = int(s[0] - '0')
	default:
		return Status{}, statusError(s, "class must be 2, 4 or 5 (RFC 3463 §2)")
	}
	rest := s[2:]
	var ok bool
	if st.Subject, rest, ok = statusNumber(rest); !ok || len(rest) == 0 || rest[0] != '.' {
		return Status{}, statusError(s, "subject must be 1 to 3 digits without leading zeros (RFC 3463 §2)")
	}
	if st.Detail, rest, ok = statusNumber(rest[1:]); !ok || rest != "" {
		return Status{}, statusError(s, "detail must be 1 to 3 digits without leading zeros (RFC 3463 §2)")
	}
	return st, nil
}

// statusNumber reads the 1*3DIGIT of RFC 3463 §2 at the start of s.
func statusNumber(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	// RFC 3463 §2: 1 to 3 digits; a leading zero only for the value 0.
	if i == 0 || i > 3 || (i > 1 && s[0] == '0') {
		return 0, s, false
	}
	return n, s[i:], true
}

func statusError(s, reason string) error {
	return fieldError("Status", quoteASCII(s)+": "+reason)
}

// String returns the status as "class.subject.detail", or "" for the zero
// Status.
func (s Status) String() string {
	if s.IsZero() {
		return ""
	}
	return string(s.appendTo(make([]byte, 0, 11)))
}

func (s Status) appendTo(b []byte) []byte {
	b = strconv.AppendInt(b, int64(s.Class), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(s.Subject), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(s.Detail), 10)
}

// Triple returns the status as [class, subject, detail], the form SMTP
// server libraries take an enhanced status code in: go-smtp's
// EnhancedCode is a [3]int, so a reply is
// smtp.SMTPError{Code: r.Code, EnhancedCode: r.Enhanced.Triple(), Message: r.Text}.
// The zero Status gives [0, 0, 0], which go-smtp reads as "not set" and
// replaces with a default of its own.
func (s Status) Triple() [3]int { return [3]int{s.Class, s.Subject, s.Detail} }

// IsZero reports whether s is the zero Status (no status given).
func (s Status) IsZero() bool { return s == Status{} }

// valid reports whether s could have come from ParseStatus.
func (s Status) valid() bool {
	return (s.Class == 2 || s.Class == 4 || s.Class == 5) &&
		s.Subject >= 0 && s.Subject <= 999 && s.Detail >= 0 && s.Detail <= 999
}
