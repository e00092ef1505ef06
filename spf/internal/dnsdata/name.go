package dnsdata

import (
	"strings"

	"github.com/miekg/dns"
)

// CanonicalName returns name absolute, lower-cased (RFC 4343: names compare
// without regard to case) and escaped one way, so that names compare equal
// whatever their source. Zone text and miekg/dns write special octets as
// \X or \DDD (RFC 1035 §5.1), and not always the same way; callers of the
// Resolver methods, such as blitiri spf after macro expansion, give them as
// they are (a space, say). Escapes are undone, then every octet that is not
// plain in zone text is written as \DDD, and a dot within a label as \.
func CanonicalName(name string) string {
	if plain, upper := scanName(name); plain {
		if upper {
			name = strings.ToLower(name)
		}
		return dns.Fqdn(name)
	}
	var b strings.Builder
	ended := false // by an unescaped dot
	for i := 0; i < len(name); {
		c, next, escaped := nextOctet(name, i)
		i = next
		switch {
		case c == '.' && !escaped:
			b.WriteByte('.')
		case c == '.':
			b.WriteString(`\.`)
		case isSpecialInName(c):
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		default:
			b.WriteByte(lowerASCII(c))
		}
		ended = c == '.' && !escaped
	}
	if !ended {
		b.WriteByte('.')
	}
	return b.String()
}

// Fold returns name in the spelling of CanonicalName without its final
// dot, so that names differing only in case, escapes or a final dot share
// a key (RFC 4343). A plain name costs no allocation unless it has
// upper-case letters.
func Fold(name string) string {
	plain, upper := scanName(name)
	switch {
	case !plain:
		name = CanonicalName(name)
	case upper:
		name = strings.ToLower(name)
	}
	return strings.TrimSuffix(name, ".")
}

// scanName reports whether name has no octet that isSpecialInName, and
// whether it has upper-case letters: the common case, made fast.
func scanName(name string) (plain, upper bool) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isSpecialInName(c) {
			return false, upper
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	return true, upper
}

// isSpecialInName reports whether an octet of a name needs an escape in
// zone text (RFC 1035 §5.1), or is the escape character itself.
func isSpecialInName(c byte) bool {
	switch c {
	case '"', '(', ')', ';', '@', '$', '\\':
		return true
	}
	return c <= ' ' || c >= 0x7f
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// JoinTXT joins the character-strings of one TXT record without separators,
// undoing the presentation escapes miekg/dns keeps, as RFC 7208 §3.3 asks.
func JoinTXT(parts []string) string {
	if len(parts) == 1 && !strings.Contains(parts[0], `\`) {
		return parts[0]
	}
	// Escapes only shorten: one allocation, with no spare room for a
	// cache to keep unaccounted.
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	var b strings.Builder
	b.Grow(size)
	for _, p := range parts {
		for i := 0; i < len(p); {
			c, next, _ := nextOctet(p, i)
			b.WriteByte(c)
			i = next
		}
	}
	return b.String()
}

// nextOctet returns the octet at s[i], undoing an escape there (RFC 1035
// §5.1: \X is X, \DDD is the octet DDD), and the index after it.
func nextOctet(s string, i int) (c byte, next int, escaped bool) {
	if s[i] != '\\' || i+1 == len(s) {
		return s[i], i + 1, false
	}
	if d := s[i+1 : min(i+4, len(s))]; len(d) == 3 && isDecimal(d) {
		n := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
		if n <= 0xff {
			return byte(n), i + 4, true
		}
	}
	return s[i+1], i + 2, true
}

func isDecimal(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
