package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A macro is one macro-expand of RFC 7208 §7.1.
type macro struct {
	literal string // the expansion of "%%", "%_" or "%-"; "" for a letter macro
	letter  byte   // the lower-case macro letter
	escape  bool   // an upper-case letter: URL-escape the value (RFC 7208 §7.3)
	digits  int    // how many right-hand parts to keep, 0 for all
	reverse bool   // reverse the parts
	delims  string // the delimiters to split on, "" for "."
}

// maxMacroDigits bounds the digit transformer: no value has more parts.
const maxMacroDigits = 255

// parseMacro parses the macro-expand at the start of s, which starts with
// "%", and returns it with its length. allLetters allows c, r and t, which
// only explanations may use (RFC 7208 §7.1).
func parseMacro(s string, allLetters bool) (macro, int, error) {
	if len(s) < 2 {
		return macro{}, 0, errors.New(`"%" ends the string (RFC 7208 §7.1)`)
	}
	// RFC 7208 §7.1: "%%" is "%", "%_" a space, "%-" a URL-encoded space.
	switch s[1] {
	case '%':
		return macro{literal: "%"}, 2, nil
	case '_':
		return macro{literal: " "}, 2, nil
	case '-':
		return macro{literal: "%20"}, 2, nil
	case '{':
	default:
		return macro{}, 0, fmt.Errorf(`"%%" followed by %q (RFC 7208 §7.1: only "{", "%%", "_" or "-")`, s[1])
	}
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return macro{}, 0, errors.New(`unterminated "%{" (RFC 7208 §7.1)`)
	}
	body := s[2:end]
	if body == "" {
		return macro{}, 0, errors.New(`empty "%{}" (RFC 7208 §7.1)`)
	}
	m := macro{letter: body[0] | 0x20, escape: 'A' <= body[0] && body[0] <= 'Z'}
	letters := "slodiphv"
	if allLetters {
		letters = "slodiphvcrt"
	}
	if !isAlpha(body[0]) || strings.IndexByte(letters, m.letter) < 0 {
		return macro{}, 0, fmt.Errorf("macro letter %q is not allowed here (RFC 7208 §7.1, §7.2)", body[0])
	}
	// RFC 7208 §7.1: transformers = *DIGIT [ "r" ], then *delimiter.
	i := 1
	for ; i < len(body) && isDigit(body[i]); i++ {
		m.digits = min(m.digits*10+int(body[i]-'0'), maxMacroDigits)
	}
	if i > 1 && m.digits == 0 {
		return macro{}, 0, fmt.Errorf("macro %q keeps zero parts (RFC 7208 §7.3: the digit must be nonzero)", s[:end+1])
	}
	if i < len(body) && body[i]|0x20 == 'r' {
		m.reverse = true
		i++
	}
	m.delims = body[i:]
	for j := 0; j < len(m.delims); j++ {
		if strings.IndexByte(".-+,/_=", m.delims[j]) < 0 {
			return macro{}, 0, fmt.Errorf("macro %q has an invalid delimiter %q (RFC 7208 §7.1)", s[:end+1], m.delims[j])
		}
	}
	return m, end + 1, nil
}

// usesPMacro reports whether the macro-string s uses the p macro, whose
// value needs DNS queries.
func usesPMacro(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i < len(s); {
		m, n, err := parseMacro(s[i:], true)
		if err != nil {
			return false
		}
		if m.letter == 'p' {
			return true
		}
		i += n
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			return false
		}
		i += j
	}
	return false
}

// macroEnv holds the values of the macro letters (RFC 7208 §7.2), except d,
// which changes with each record.
type macroEnv struct {
	sender       string           // s
	local        string           // l
	senderDomain string           // o
	helo         string           // h
	ip           netip.Addr       // i, c and v
	validated    string           // p, filled in by the caller before it is needed
	receiver     string           // r
	now          func() time.Time // t
}

// expand expands the macro-string s with domain as %{d}. explain allows
// the letters of explanations (c, r, t); s is assumed otherwise checked.
func (env *macroEnv) expand(s, domain string, explain bool) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		m, n, err := parseMacro(s[i+j:], explain)
		if err != nil {
			return "", err
		}
		i += j + n
		if m.letter == 0 {
			b.WriteString(m.literal)
			continue
		}
		b.WriteString(m.transform(env.value(m.letter, domain)))
	}
	return b.String(), nil
}

// expandDomain expands a domain-spec into the name to query, truncated on
// the left to 253 characters (RFC 7208 §7.3).
func (env *macroEnv) expandDomain(spec, domain string) (string, error) {
	name, err := env.expand(spec, domain, false)
	for len(name) > 253 {
		dot := strings.IndexByte(name, '.')
		if dot < 0 {
			break
		}
		name = name[dot+1:]
	}
	return name, err
}

// value returns the value of a macro letter (RFC 7208 §7.2).
func (env *macroEnv) value(letter byte, domain string) string {
	switch letter {
	case 's':
		return env.sender
	case 'l':
		return env.local
	case 'o':
		return env.senderDomain
	case 'd':
		return domain
	case 'i':
		return dottedIP(env.ip)
	case 'p':
		return env.validated
	case 'v':
		if env.ip.Is4() {
			return "in-addr"
		}
		return "ip6"
	case 'h':
		return env.helo
	case 'c':
		return env.ip.String()
	case 'r':
		return env.receiver
	case 't':
		return strconv.FormatInt(env.now().Unix(), 10)
	}
	return ""
}

// transform applies the transformers and the URL escaping (RFC 7208 §7.3).
func (m macro) transform(value string) string {
	if m.digits > 0 || m.reverse || (m.delims != "" && m.delims != ".") {
		delims := m.delims
		if delims == "" {
			delims = "."
		}
		split := splitAny(value, delims)
		if m.reverse {
			slices.Reverse(split)
		}
		if m.digits > 0 && m.digits < len(split) {
			split = split[len(split)-m.digits:]
		}
		value = strings.Join(split, ".")
	}
	if m.escape {
		value = urlEscape(value)
	}
	return value
}

// splitAny splits s at every byte in delims, keeping empty parts.
func splitAny(s, delims string) []string {
	var parts []string
	for {
		i := strings.IndexAny(s, delims)
		if i < 0 {
			return append(parts, s)
		}
		parts = append(parts, s[:i])
		s = s[i+1:]
	}
}

// urlEscape escapes all but the unreserved characters of RFC 3986 §2.3,
// as upper-case letter macros require (RFC 7208 §7.3).
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// dottedIP writes an address as the i macro does: dotted quad for IPv4,
// dot-separated nibbles for IPv6 (RFC 7208 §7.3).
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, 63)
	for _, octet := range ip.As16() {
		b = append(b, hex[octet>>4], '.', hex[octet&15], '.')
	}
	return string(b[:len(b)-1])
}
