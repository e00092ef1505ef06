package mailsyntax

import (
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// This file reads the from clause and the date of a Received field
// (RFC 5321 §4.4, RFC 5322 §3.6.7) as MTAs write them. The HELO name in
// it is the client's own word: Postfix 3.7 writes ' <>()";@' in it as
// '?', but other MTAs, and other versions, may write it raw. So the
// clause is read strictly,
// in the few forms MTAs write, and anything that reads in more than one
// way is refused, lest a client's HELO pass for the MTA's own comment.

// ReceivedFrom reads the from clause of a Received field's value: the
// name the client gave in HELO or EHLO, as written, and the client's IP
// address, which the receiving MTA wrote in brackets. It takes the forms
//
//	from helo (name [192.0.2.1])            Postfix, sendmail ("unknown" for no name)
//	from helo ([192.0.2.1])                 sendmail, Exim (HELO is the verified name)
//	from helo (name [IPv6:2001:db8::1])     Postfix's IPv6 literal (RFC 5321 §4.1.3)
//	from helo (user@name [192.0.2.1] (may be forged))   sendmail
//	from name ([192.0.2.1]:25 helo=x ident=y)           Exim, verified name first
//	from [192.0.2.1] (port=25 helo=x)       Exim, no verified name
//
// and then requires "by" (RFC 5321 §4.4: From-domain By-domain), with no
// second from or by clause and no optional clause (via, with, id, for)
// twice in the rest of the field. helo is "" when the field gives none
// (Exim's "from [192.0.2.1]" without helo=: no HELO, or one equal to the
// address). ok is false for anything else.
func ReceivedFrom(value string) (helo string, ip netip.Addr, ok bool) {
	toks, ok := traceTokens(value, true)
	if !ok || len(toks) < 3 || !toks[0].is("from") || toks[1].comment || strings.ContainsRune(toks[1].text, '"') {
		return "", netip.Addr{}, false
	}
	first, tcpInfo, rest := toks[1].text, "", toks[2:]
	if rest[0].comment {
		tcpInfo, rest = rest[0].text, rest[1:]
	}
	if len(rest) == 0 || !rest[0].is("by") || !optionalClausesOnce(rest[1:]) {
		return "", netip.Addr{}, false
	}
	return readTCPInfo(first, tcpInfo)
}

// ReceivedWith returns the protocol of a Received field's with clause
// (RFC 5321 §4.4 With, RFC 3848), as written, when the field reads as
// ReceivedFrom reads it and has one with clause; else "". Comments do
// not count: only the word after "with" outside them.
func ReceivedWith(value string) string {
	if _, _, ok := ReceivedFrom(value); !ok {
		return ""
	}
	toks, _ := traceTokens(value, true)
	// After "by": the from clause, the client's own words, never counts.
	by := slices.IndexFunc(toks, func(t traceToken) bool { return t.is("by") })
	for i := by + 1; i+1 < len(toks); i++ {
		if toks[i].is("with") && !toks[i+1].comment {
			return toks[i+1].text
		}
	}
	return ""
}

// readTCPInfo reads the HELO name and the IP address from the word after
// "from" and the comment after it (RFC 5321 §4.4 TCP-info), in the forms
// ReceivedFrom lists.
func readTCPInfo(first, comment string) (helo string, ip netip.Addr, ok bool) {
	words, ok := tcpInfoWords(comment)
	if !ok {
		return "", netip.Addr{}, false
	}
	switch {
	case len(words) > 0 && isBracketed(words[len(words)-1]) && len(words) <= 2:
		// Postfix, sendmail: "(name [ip])", "([ip])", the HELO first.
		if ip, ok = addressLiteral(words[len(words)-1], false); ok && (len(words) == 1 || !isBracketed(words[0])) {
			return first, ip, true
		}
	case len(words) > 0 && isBracketed(words[0]):
		// Exim: "([ip]:port helo=x ident=y)", the verified name first,
		// which is the HELO unless helo= says otherwise.
		if ip, ok = addressLiteral(words[0], true); ok && !isBracketed(first) {
			if h, ok := eximItems(words[1:], "helo", "ident"); ok {
				return orDefault(h, first), ip, true
			}
		}
	case isBracketed(first):
		// Exim without a verified name: "[ip] (port=25 helo=x)".
		if ip, ok = addressLiteral(first, true); ok {
			if h, ok := eximItems(words, "port", "helo", "ident"); ok {
				return h, ip, true
			}
		}
	}
	return "", netip.Addr{}, false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tcpInfoWords splits the TCP-info comment into its words; the one
// comment nested in it may be sendmail's "(may be forged)", at its end.
func tcpInfoWords(comment string) ([]string, bool) {
	toks, ok := traceTokens(comment, false)
	if !ok {
		return nil, false
	}
	words := make([]string, 0, len(toks))
	for i, t := range toks {
		switch {
		case !t.comment:
			words = append(words, t.text)
		case i != len(toks)-1 || !strings.EqualFold(strings.Join(strings.Fields(t.text), " "), "may be forged"):
			return nil, false
		}
	}
	return words, true
}

// eximItems reads Exim's "key=value" items, each key allowed at most
// once, and returns the helo= value, "" when there is none.
func eximItems(words []string, keys ...string) (helo string, ok bool) {
	seen := make(map[string]bool, len(keys))
	for _, w := range words {
		k, v, found := strings.Cut(w, "=")
		k = strings.ToLower(k)
		if !found || v == "" || strings.ContainsRune(v, '"') || seen[k] || !slices.Contains(keys, k) {
			return "", false
		}
		seen[k] = true
		if k == "helo" {
			helo = v
		}
	}
	return helo, true
}

// optionalClausesOnce reports whether the words after "by" name no from
// or by clause and each optional clause of RFC 5321 §4.4 (via, with, id,
// for) at most once: a second one means the field reads in more ways than
// one.
func optionalClausesOnce(toks []traceToken) bool {
	var seen [4]bool
	for _, t := range toks {
		if t.comment {
			continue
		}
		if t.is("from") || t.is("by") {
			return false
		}
		for i, kw := range [...]string{"via", "with", "id", "for"} {
			if t.is(kw) {
				if seen[i] {
					return false
				}
				seen[i] = true
			}
		}
	}
	return true
}

func isBracketed(w string) bool { return strings.HasPrefix(w, "[") }

// addressLiteral reads an address literal: "[192.0.2.1]" or
// "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), or Exim's "[2001:db8::1]";
// with port, Exim's ":port" may follow the bracket. An IPv4-mapped IPv6
// address gives its IPv4 address.
func addressLiteral(w string, port bool) (netip.Addr, bool) {
	inner, after, ok := strings.Cut(w[1:], "]")
	if !ok || after != "" && !(port && isPort(after)) {
		return netip.Addr{}, false
	}
	// RFC 5234 §2.3: the tag matches in any case.
	v6 := len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:")
	if v6 {
		inner = inner[5:]
	}
	ip, err := netip.ParseAddr(inner)
	if err != nil || ip.Zone() != "" || (ip.Is4() && v6) {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// isPort reports ":" and one to five digits.
func isPort(s string) bool {
	if len(s) < 2 || len(s) > 6 || s[0] != ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ReceivedDate returns the date-time after the ";" of a Received field's
// value (RFC 5322 §3.6.7), comments allowed, or false when there is no
// one ";" or no date after it.
func ReceivedDate(value string) (time.Time, bool) {
	i := topLevelSemicolon(value)
	if i < 0 || topLevelSemicolon(value[i+1:]) >= 0 {
		return time.Time{}, false
	}
	t, err := mail.ParseDate(strings.TrimSpace(value[i+1:]))
	return t, err == nil
}

// topLevelSemicolon returns the index of the first ";" outside comments
// and quoted strings, or -1.
func topLevelSemicolon(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';':
			return i
		case '(':
			end, _ := commentEnd(s, i)
			i = end - 1
		case '"':
			i = quotedEnd(s, i) - 1
		}
	}
	return -1
}

// traceToken is a word or a comment (its text without the parentheses)
// of a trace field.
type traceToken struct {
	text    string
	comment bool
}

// is reports whether t is the word kw, in any case.
func (t traceToken) is(kw string) bool { return !t.comment && strings.EqualFold(t.text, kw) }

// traceTokens splits s into words and comments, up to the first ";" when
// stamp is set (what follows it is the date). Quoted strings stay inside
// their word. ok is false for an unclosed comment or quoted string, a
// stray ")", or, with stamp, a second ";".
func traceTokens(s string, stamp bool) (toks []traceToken, ok bool) {
	if stamp {
		if i := topLevelSemicolon(s); i >= 0 {
			if topLevelSemicolon(s[i+1:]) >= 0 {
				return nil, false
			}
			s = s[:i]
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			end, closed := commentEnd(s, i)
			if !closed {
				return nil, false
			}
			toks = append(toks, traceToken{text: s[i+1 : end-1], comment: true})
			i = end
		case c == ')':
			return nil, false
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\r\n()", rune(s[i])) {
				if s[i] == '"' {
					if i = quotedEnd(s, i); i > len(s) {
						return nil, false
					}
					continue
				}
				i++
			}
			toks = append(toks, traceToken{text: s[start:i]})
		}
	}
	return toks, true
}

// quotedEnd returns the index after the quoted string that starts at
// s[i], a '"', quoted pairs included; len(s)+1 when it is not closed.
func quotedEnd(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s) + 1
}
