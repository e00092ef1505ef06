package spf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNoResult reports an Authentication-Results field that holds no SPF
// result from the wanted authentication service.
var ErrNoResult = errors.New("spf: no SPF result")

// AuthenticationResults renders the value of an Authentication-Results
// header field carrying this verdict (RFC 8601 §2.2, §2.7.2), without the
// field name: "authservID; spf=result smtp.mailfrom=domain", or
// smtp.helo=name for the HELO identity. Values that are not RFC 2045
// tokens are quoted (RFC 8601 §2.2).
func (v Verdict) AuthenticationResults(authservID string) string {
	var b strings.Builder
	b.WriteString(tokenValue(authservID))
	b.WriteString("; spf=")
	b.WriteString(string(v.Result))
	if v.Identity == HELO {
		b.WriteString(" smtp.helo=")
		b.WriteString(tokenValue(v.HELO))
	} else {
		b.WriteString(" smtp.mailfrom=")
		b.WriteString(tokenValue(v.Domain))
	}
	return b.String()
}

// tokenValue writes a value as an RFC 2045 §5.1 token when it is one, else
// as a quoted-string.
func tokenValue(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?=`, r)
	}) {
		return s
	}
	return `"` + escapeText(s, `"\`) + `"`
}

// ParseAuthenticationResults reads the SPF result from the value of an
// Authentication-Results header field (RFC 8601 §2.2), with or without the
// field name, when the field was added by authservID (compared without
// regard to case). When the field holds several spf results, the one on
// the smtp.mailfrom identity wins, else the first. The error wraps
// ErrNoResult when the field is another service's or holds no spf result,
// ErrMalformedHeader when it cannot be read.
func ParseAuthenticationResults(value, authservID string) (Verdict, error) {
	if len(value) >= 23 && strings.EqualFold(value[:23], "Authentication-Results:") {
		value = value[23:]
	}
	l := headerLexer{s: value}
	l.skipCFWS()
	id, ok := l.value()
	if !ok {
		return Verdict{}, fmt.Errorf("%w: Authentication-Results without an authserv-id (RFC 8601 §2.2)", ErrMalformedHeader)
	}
	// RFC 8601 §5: only results from our own service are to be trusted.
	if !strings.EqualFold(id, authservID) {
		return Verdict{}, fmt.Errorf("%w: authserv-id %q is not %q (RFC 8601 §5)", ErrNoResult, id, authservID)
	}
	l.skipCFWS()
	l.token() // RFC 8601 §2.2: an optional authres-version
	// RFC 8601 §2.7.2: a field may hold several spf resinfos, one per
	// identity; the return path's (smtp.mailfrom) is the one callers want.
	var first, mailfrom Verdict
	for {
		l.skipCFWS()
		if l.done() {
			break
		}
		if !l.consume(';') {
			return Verdict{}, fmt.Errorf(`%w: Authentication-Results: ";" expected at %q (RFC 8601 §2.2)`, ErrMalformedHeader, l.rest())
		}
		v, isSPF, err := parseResinfo(&l)
		switch {
		case err != nil:
			return Verdict{}, err
		case isSPF && v.Identity == MailFrom && mailfrom.Result != "":
			// Two verdicts on the return path: which one is ours?
			return Verdict{}, fmt.Errorf("%w: Authentication-Results: two spf results for smtp.mailfrom (RFC 8601 §2.7.2)", ErrMalformedHeader)
		case isSPF && v.Identity == MailFrom:
			mailfrom = v
		case isSPF && first.Result == "":
			first = v
		}
	}
	if l.unclosed {
		return Verdict{}, errUnclosedComment
	}
	if mailfrom.Result != "" {
		return mailfrom, nil
	}
	if first.Result == "" {
		return Verdict{}, fmt.Errorf("%w: no spf method in Authentication-Results (RFC 8601 §2.7.2)", ErrNoResult)
	}
	return first, nil
}

// parseResinfo reads one resinfo (RFC 8601 §2.2): method [ "/" version ]
// "=" result, an optional reason, and ptype.property=value pairs; it
// returns the verdict when the method is spf.
func parseResinfo(l *headerLexer) (v Verdict, isSPF bool, err error) {
	l.skipCFWS()
	method := l.token()
	if strings.EqualFold(method, "none") {
		return v, false, nil // RFC 8601 §2.2: no results
	}
	l.skipCFWS()
	if l.consume('/') {
		l.skipCFWS()
		l.token()
		l.skipCFWS()
	}
	if method == "" || !l.consume('=') {
		return v, false, fmt.Errorf("%w: Authentication-Results method at %q (RFC 8601 §2.2)", ErrMalformedHeader, l.rest())
	}
	l.skipCFWS()
	result := l.token()
	seen := make([]string, 0, 2) // the identity properties given
	isSPF = strings.EqualFold(method, "spf")
	if isSPF {
		if v.Result, err = ParseResult(result); err != nil {
			return v, true, fmt.Errorf("%w: spf result %q (RFC 8601 §2.7.2)", ErrMalformedHeader, result)
		}
	}
	for {
		l.skipCFWS()
		if l.done() || l.s[l.pos] == ';' {
			break
		}
		key := l.token() // "reason" or ptype "." property
		l.skipCFWS()
		if l.consume('.') {
			key += "."
		}
		if strings.HasSuffix(key, ".") { // RFC 8601 §2.2: CFWS around the "."
			l.skipCFWS()
			key += l.token()
			l.skipCFWS()
		}
		if key == "" || !l.consume('=') {
			return v, isSPF, fmt.Errorf("%w: Authentication-Results property at %q (RFC 8601 §2.2)", ErrMalformedHeader, l.rest())
		}
		l.skipCFWS()
		val, ok := l.value()
		if !ok {
			return v, isSPF, fmt.Errorf("%w: Authentication-Results value of %q (RFC 8601 §2.2)", ErrMalformedHeader, key)
		}
		// RFC 8601 §2.7.2: smtp.mailfrom names the identity checked,
		// wherever it stands; smtp.helo alone means the HELO identity.
		// Either given twice makes the result ambiguous.
		switch key = strings.ToLower(key); key {
		case "smtp.mailfrom", "smtp.helo":
			if slices.Contains(seen, key) {
				return v, isSPF, fmt.Errorf("%w: Authentication-Results property %q given twice (RFC 8601 §2.2)", ErrMalformedHeader, key)
			}
			seen = append(seen, key)
		}
		switch key {
		case "smtp.mailfrom":
			// The domain, or the whole address.
			v.Identity = MailFrom
			if strings.Contains(val, "@") {
				v.Sender = val
			}
			_, v.Domain = splitSender(val)
		case "smtp.helo":
			v.HELO = val
			if v.Identity == "" {
				v.Identity = HELO
			}
		}
	}
	if v.Identity == HELO {
		v.Domain, v.Sender = v.HELO, "postmaster@"+v.HELO
	}
	return v, isSPF, nil
}
