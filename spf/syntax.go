package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrSyntax reports an SPF record that does not follow the grammar of
// RFC 7208 §12. Evaluating such a record gives permerror (RFC 7208 §4.6).
var ErrSyntax = errors.New("spf: record syntax error")

// termKind tells the mechanisms and modifiers of RFC 7208 §5 and §6 apart.
type termKind uint8

const (
	termAll termKind = iota + 1
	termInclude
	termA
	termMX
	termPTR
	termIP4
	termIP6
	termExists
	termRedirect
	termExp
	termUnknownModifier
)

// A term is one parsed mechanism or modifier of a record.
type term struct {
	kind      termKind
	qualifier byte   // '+', '-', '~' or '?' for a mechanism; 0 for a modifier
	cidr4     int16  // the IPv4 prefix length, -1 when absent
	cidr6     int16  // the IPv6 prefix length, -1 when absent
	text      string // the term as written
	domain    string // the domain-spec, "" when absent
}

// mechanismKind returns the kind of the mechanism called name, in any case
// (RFC 7208 §4.6.1), or 0 for an unknown one.
func mechanismKind(name string) termKind {
	var lower [len("include")]byte
	if len(name) > len(lower) {
		return 0
	}
	for i := 0; i < len(name); i++ {
		lower[i] = toLower(name[i])
	}
	switch string(lower[:len(name)]) {
	case "all":
		return termAll
	case "include":
		return termInclude
	case "a":
		return termA
	case "mx":
		return termMX
	case "ptr":
		return termPTR
	case "ip4":
		return termIP4
	case "ip6":
		return termIP6
	case "exists":
		return termExists
	}
	return 0
}

// A record is a parsed SPF record.
type record struct {
	terms    []term
	redirect int  // index of the redirect modifier in terms, -1 when absent
	exp      int  // index of the exp modifier in terms, -1 when absent
	macros   bool // some domain-spec but exp='s holds a macro
	pMacro   bool // some domain-spec but exp='s holds the p macro, which needs DNS
}

// ValidateRecord reports whether s is an SPF record that follows the
// grammar of RFC 7208 §12; the error wraps ErrSyntax and names the term and
// the rule it breaks.
func ValidateRecord(s string) error {
	_, err := parseRecord(s)
	return err
}

// isSPFRecord reports whether a TXT record is an SPF record: it starts with
// the version "v=spf1", in any case, followed by a space or nothing
// (RFC 7208 §4.5).
func isSPFRecord(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

// parseRecord parses an SPF record strictly.
func parseRecord(s string) (record, error) {
	rec := record{redirect: -1, exp: -1}
	if !isSPFRecord(s) {
		return rec, syntaxError(s, `the record must start with "v=spf1" (RFC 7208 §4.5)`)
	}
	for i := 0; i < len(s); i++ {
		// RFC 7208 §3.1, §4.6.1: printable US-ASCII terms separated by spaces.
		if s[i] < ' ' || s[i] > '~' {
			return rec, syntaxError(s, fmt.Sprintf("byte %#02x at offset %d is not printable US-ASCII (RFC 7208 §3.1)", s[i], i))
		}
	}
	rest := s[len("v=spf1"):]
	rec.terms = make([]term, 0, strings.Count(rest, " "))
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return rec, nil
		}
		var text string
		text, rest, _ = strings.Cut(rest, " ")
		rec.terms = append(rec.terms, term{})
		t := &rec.terms[len(rec.terms)-1]
		if err := t.parse(text); err != nil {
			return rec, err
		}
		switch t.kind {
		case termRedirect:
			if rec.redirect >= 0 {
				return rec, syntaxError(text, "redirect appears twice (RFC 7208 §6)")
			}
			rec.redirect = len(rec.terms) - 1
		case termExp:
			if rec.exp >= 0 {
				return rec, syntaxError(text, "exp appears twice (RFC 7208 §6)")
			}
			rec.exp = len(rec.terms) - 1
		}
		// exp= is expanded apart, after a fail (RFC 7208 §6.2).
		if t.kind != termExp && strings.IndexByte(t.domain, '%') >= 0 {
			rec.macros = true
			rec.pMacro = rec.pMacro || usesPMacro(t.domain)
		}
	}
}

// parse parses one directive or modifier into t (RFC 7208 §4.6.1).
func (t *term) parse(text string) error {
	*t = term{text: text, cidr4: -1, cidr6: -1}
	if name, value, ok := cutModifier(text); ok {
		switch {
		case strings.EqualFold(name, "redirect"):
			t.kind, t.domain = termRedirect, value
		case strings.EqualFold(name, "exp"):
			t.kind, t.domain = termExp, value
		default:
			// RFC 7208 §6: unknown modifiers are ignored, but must be well formed.
			t.kind = termUnknownModifier
			if _, err := checkMacroString(value, true, false); err != nil {
				return syntaxError(text, err.Error())
			}
			return nil
		}
		if err := checkDomainSpec(value); err != nil {
			return syntaxError(text, err.Error())
		}
		return nil
	}

	// RFC 7208 §4.6.2: the qualifier defaults to "+".
	t.qualifier = '+'
	if isQualifier(text[0]) {
		t.qualifier, text = text[0], text[1:]
	}
	end := 0
	for end < len(text) && text[end] != ':' && text[end] != '/' {
		end++
	}
	name, arg := text[:end], text[end:]
	var err error
	switch t.kind = mechanismKind(name); t.kind {
	case termAll:
		if arg != "" {
			err = errors.New(`"all" takes no argument (RFC 7208 §5.1)`)
		}
	case termInclude:
		t.domain, err = requiredDomain(arg, "RFC 7208 §5.2")
	case termExists:
		t.domain, err = requiredDomain(arg, "RFC 7208 §5.7")
	case termA:
		t.domain, t.cidr4, t.cidr6, err = optionalDomainAndCIDR(arg, "RFC 7208 §5.3")
	case termMX:
		t.domain, t.cidr4, t.cidr6, err = optionalDomainAndCIDR(arg, "RFC 7208 §5.4")
	case termPTR:
		if arg != "" {
			t.domain, err = requiredDomain(arg, "RFC 7208 §5.5")
		}
	case termIP4:
		t.cidr4, err = network(arg, 4)
	case termIP6:
		t.cidr6, err = network(arg, 6)
	default:
		err = errors.New("unknown mechanism (RFC 7208 §5)")
	}
	if err != nil {
		return syntaxError(t.text, err.Error())
	}
	return nil
}

// cutModifier splits a modifier into its name and value (RFC 7208 §12:
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "="); ok is false
// for a directive.
func cutModifier(text string) (name, value string, ok bool) {
	if !isAlpha(text[0]) {
		return "", "", false
	}
	for i := 1; i < len(text); i++ {
		switch c := text[i]; {
		case c == '=':
			return text[:i], text[i+1:], true
		case isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.':
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// requiredDomain checks a ":" domain-spec argument.
func requiredDomain(arg, rfc string) (string, error) {
	if len(arg) < 2 || arg[0] != ':' {
		return "", fmt.Errorf(`a ":" and a domain-spec are required (%s)`, rfc)
	}
	return arg[1:], checkDomainSpec(arg[1:])
}

// optionalDomainAndCIDR checks the [ ":" domain-spec ] [ dual-cidr-length ]
// argument of a and mx (RFC 7208 §5.3, §5.4, §5.6).
func optionalDomainAndCIDR(arg, rfc string) (domain string, cidr4, cidr6 int16, err error) {
	cidr4, cidr6 = -1, -1
	// The lengths are the trailing "/digits" and "//digits".
	if rest, length, ok := cutLength(arg, "//"); ok {
		if cidr6, err = prefixLength(length, 128); err != nil {
			return "", 0, 0, err
		}
		arg = rest
	}
	if rest, length, ok := cutLength(arg, "/"); ok {
		if cidr4, err = prefixLength(length, 32); err != nil {
			return "", 0, 0, err
		}
		arg = rest
	}
	if arg == "" {
		return "", cidr4, cidr6, nil
	}
	domain, err = requiredDomain(arg, rfc)
	return domain, cidr4, cidr6, err
}

// cutLength cuts sep and the digits of a prefix length after it off the
// end of arg; ok is false when arg does not end that way.
func cutLength(arg, sep string) (rest, length string, ok bool) {
	i := len(arg)
	for i > 0 && isDigit(arg[i-1]) {
		i--
	}
	if i == len(arg) || !strings.HasSuffix(arg[:i], sep) {
		return arg, "", false
	}
	return arg[:i-len(sep)], arg[i:], true
}

// network checks the ":" address [ "/" length ] argument of ip4 (version
// 4) and ip6 (version 6), and returns the length (RFC 7208 §5.6).
func network(arg string, version int) (int16, error) {
	if len(arg) < 2 || arg[0] != ':' {
		return 0, errors.New(`a ":" and an address are required (RFC 7208 §5.6)`)
	}
	addr, length, hasLength := strings.Cut(arg[1:], "/")
	ip, err := netip.ParseAddr(addr)
	bits := 32
	if version == 6 {
		bits = 128
	}
	if err != nil || ip.BitLen() != bits || ip.Zone() != "" {
		return 0, fmt.Errorf("%q is not an IPv%d address (RFC 7208 §5.6)", addr, version)
	}
	if !hasLength {
		return -1, nil
	}
	return prefixLength(length, bits)
}

// prefixLength checks a CIDR length: decimal without leading zeros, at most
// bits (RFC 7208 §5.6: ip4-cidr-length, ip6-cidr-length).
func prefixLength(s string, bits int) (int16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || !isDigits(s) || (len(s) > 1 && s[0] == '0') || n > bits {
		return 0, fmt.Errorf("prefix length %q is not a number from 0 to %d (RFC 7208 §5.6)", s, bits)
	}
	return int16(n), nil
}

// checkDomainSpec checks a domain-spec: a macro-string ending in a macro or
// in "." toplabel, with an optional trailing dot (RFC 7208 §7.1).
func checkDomainSpec(s string) error {
	if s == "" {
		return errors.New("the domain-spec is empty (RFC 7208 §7.1)")
	}
	endsInMacro, err := checkMacroString(s, false, false)
	if err != nil || endsInMacro {
		return err
	}
	s = strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 || !isToplabel(s[dot+1:]) {
		return fmt.Errorf(`domain-spec %q must end in a macro or in "." and a top label (RFC 7208 §7.1)`, s)
	}
	return nil
}

// isToplabel reports whether s is a toplabel of RFC 7208 §7.1: letters,
// digits and inner hyphens, and not all digits.
func isToplabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	numeric := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlpha(c) || c == '-':
			numeric = false
		case isDigit(c):
		default:
			return false
		}
	}
	return !numeric
}

// checkMacroString checks a macro-string (RFC 7208 §7.1). allLetters allows
// the letters c, r and t, which only explanations and unknown modifiers may
// use; spaces allows the spaces of an explain-string. endsInMacro tells
// whether s ends with a macro-expand.
func checkMacroString(s string, allLetters, spaces bool) (endsInMacro bool, err error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			// RFC 7208 §7.1: macro-literal = %x21-24 / %x26-7E.
			if (c < '!' || c > '~') && !(spaces && c == ' ') {
				return false, fmt.Errorf("byte %#02x is not allowed in a macro-string (RFC 7208 §7.1)", c)
			}
			i++
			endsInMacro = false
			continue
		}
		_, n, err := parseMacro(s[i:], allLetters)
		if err != nil {
			return false, err
		}
		i += n
		endsInMacro = true
	}
	return endsInMacro, nil
}

// isDigits reports whether s is a non-empty run of decimal digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isQualifier reports whether c is a qualifier (RFC 7208 §4.6.2).
func isQualifier(c byte) bool { return c == '+' || c == '-' || c == '~' || c == '?' }

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// syntaxError names the offending term and the rule it breaks.
func syntaxError(term, why string) error {
	return fmt.Errorf("%w: %q: %s", ErrSyntax, term, why)
}
