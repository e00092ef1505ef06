package spf

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
)

// errMultipleRecords is handed to blitiri for a domain with several SPF
// records; any error that is not a *net.DNSError makes it permerror.
var errMultipleRecords = errors.New("spf: several SPF records (RFC 7208 §4.5)")

// An evaluation stands between blitiri and the Resolver for one check. It
// checks each SPF record blitiri fetches strictly, and hands it over with
// its macros expanded, its domains in a form blitiri reads as RFC 7208
// means them, and its redirect marked, so that the record that decided the
// result is known for exp= (RFC 7208 §6.2).
type evaluation struct {
	resolver Resolver
	env      macroEnv
	deadline lazyDeadline   // the check's time limit, when it has its own
	top      *fetchedRecord // the checked domain's record, the first fetched
	first    fetchedRecord  // where top is kept, to save an allocation
	tokens   map[string]tokenTarget
	matched  string // the last directive blitiri reported matching

	// The validated names of the client for the p macro, looked up once.
	ptrNames  []string
	ptrLooked bool
}

// A fetchedRecord is an SPF record blitiri evaluated.
type fetchedRecord struct {
	domain     string // the <domain> it was evaluated for, %{d}
	rec        record
	compiled   []string       // the directives as handed to blitiri, when rewritten
	redirected *fetchedRecord // the record its redirect= led to, if evaluated

	// What blitiri gets and room for the terms of a short record, kept
	// here to save allocations. Three terms keep an evaluation within 512
	// bytes, the largest size the allocator serves without a header.
	answer  [1]string
	termBuf [3]term
}

// A tokenTarget is what a token name handed to blitiri stands for.
type tokenTarget struct {
	name       string
	redirectOf *fetchedRecord // the record whose redirect= this is
	exists     bool           // the target of exists:, always looked up as A
}

// tokenSuffix ends the names that stand for other names. RFC 2606 reserves
// "invalid", so no real policy can need such a name in its own right.
const tokenSuffix = ".spf-token.invalid"

// LookupTXT fetches the SPF record of name for blitiri, which evaluates the
// record it gets back.
func (e *evaluation) LookupTXT(ctx context.Context, name string) ([]string, error) {
	target := e.target(name)
	if !isQueryable(target.name) {
		return nil, errNoSuchName(target.name)
	}
	txts, err := e.resolver.LookupTXT(ctx, target.name)
	if err != nil {
		return nil, err
	}
	// RFC 7208 §4.5: other TXT records are ignored; more than one SPF
	// record is a permerror.
	var text string
	n := 0
	for _, t := range txts {
		if isSPFRecord(t) {
			text, n = t, n+1
		}
	}
	switch {
	case n == 0:
		return nil, nil
	case n > 1:
		return nil, errMultipleRecords
	}
	f := &e.first
	if e.top != nil {
		f = new(fetchedRecord)
	}
	// RFC 7208 §4.6: a syntax error anywhere in the record is a permerror,
	// even after a match; blitiri would only see the terms it reaches.
	if f.rec, err = parseRecord(text, f.termBuf[:]); err != nil {
		return nil, err
	}
	f.domain = target.name
	if e.top == nil {
		e.top = f
	}
	if target.redirectOf != nil {
		target.redirectOf.redirected = f
	}
	f.answer[0] = text
	if f.rec.needsRewrite() || target.name != name {
		f.answer[0] = e.rewrite(ctx, f)
	}
	return f.answer[:], nil
}

// LookupMX implements Resolver for blitiri.
func (e *evaluation) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if name = e.target(name).name; !isQueryable(name) {
		return nil, errNoSuchName(name)
	}
	return e.resolver.LookupMX(ctx, name)
}

// LookupIPAddr implements Resolver for blitiri: the addresses of the
// client's family only (RFC 7208 §5.3, §5.4, §5.5), or for exists: the A
// records whatever the client (RFC 7208 §5.7).
func (e *evaluation) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	target := e.target(host)
	if !isQueryable(target.name) {
		return nil, errNoSuchName(target.name)
	}
	return lookupFamily(ctx, e.resolver, e.env.ip.Is4() || target.exists, target.name)
}

// LookupAddr implements Resolver for blitiri.
func (e *evaluation) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return e.resolver.LookupAddr(ctx, addr)
}

// target resolves a name blitiri asks for: a token stands for the name it
// was made for, any other name for itself.
func (e *evaluation) target(name string) tokenTarget {
	if t, ok := e.tokens[name]; ok {
		return t
	}
	return tokenTarget{name: name}
}

// isQueryable reports whether name can be asked for in DNS. A target name
// that cannot is treated as not existing (RFC 7208 §4.3, §4.8).
func isQueryable(name string) bool { return labelCount(name) > 0 }

// errNoSuchName answers for a name that cannot exist in DNS.
func errNoSuchName(name string) error {
	return &net.DNSError{Err: "invalid domain name", Name: name, IsNotFound: true}
}

// token returns a fresh name standing for t.
func (e *evaluation) token(t tokenTarget) string {
	if e.tokens == nil {
		e.tokens = make(map[string]tokenTarget)
	}
	tok := "t" + strconv.Itoa(len(e.tokens)) + tokenSuffix
	e.tokens[tok] = t
	return tok
}

// nameFor returns name as blitiri may read it: itself when it is plain,
// else a token. blitiri rejects "/" in names and splits terms at ":" and
// "/", which RFC 7208 §7.1 allows in a domain-spec.
func (e *evaluation) nameFor(name string) string {
	if isPlainName(name) {
		return name
	}
	return e.token(tokenTarget{name: name})
}

// isPlainName reports whether a name is letters, digits, "-", "_" and "."
// only, outside the token namespace.
func isPlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return name != "" && !hasSuffixFold(strings.TrimSuffix(name, "."), ".invalid")
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// needsRewrite reports whether blitiri could misread the record as written:
// it has macros, names blitiri cannot take as they are, or a redirect to
// follow, or an exists: to mark.
func (r *record) needsRewrite() bool {
	if r.macros || r.redirect >= 0 {
		return true
	}
	for _, t := range r.terms {
		if t.kind == termExists || (t.kind != termExp && t.domain != "" && !isPlainName(t.domain)) {
			return true
		}
	}
	return false
}

// rewrite renders a record for blitiri: macros expanded (RFC 7208 §7),
// every domain explicit, exp= and unknown modifiers left out (blitiri
// ignores them) and the redirect target a token that marks it.
func (e *evaluation) rewrite(ctx context.Context, f *fetchedRecord) string {
	if f.rec.pMacro {
		e.env.validated = e.validatedName(ctx, f.domain)
	}
	var b strings.Builder
	b.WriteString("v=spf1")
	f.compiled = make([]string, len(f.rec.terms))
	for i, t := range f.rec.terms {
		start := b.Len() + 1
		switch t.kind {
		case termExp, termUnknownModifier:
			continue
		case termRedirect:
			name, _ := e.env.expandDomain(t.domain, f.domain)
			b.WriteString(" redirect=")
			b.WriteString(e.token(tokenTarget{name: name, redirectOf: f}))
		case termAll, termIP4, termIP6:
			b.WriteByte(' ')
			b.WriteString(t.text)
		default:
			name := f.domain
			if t.domain != "" {
				name, _ = e.env.expandDomain(t.domain, f.domain)
			}
			b.WriteByte(' ')
			b.WriteByte(t.qualifier)
			b.WriteString(mechanismNames[t.kind])
			b.WriteByte(':')
			if t.kind == termExists {
				b.WriteString(e.token(tokenTarget{name: name, exists: true}))
			} else {
				b.WriteString(e.nameFor(name))
			}
			if t.cidr4 >= 0 {
				b.WriteByte('/')
				b.WriteString(strconv.Itoa(int(t.cidr4)))
			}
			if t.cidr6 >= 0 {
				b.WriteString("//")
				b.WriteString(strconv.Itoa(int(t.cidr6)))
			}
		}
		f.compiled[i] = b.String()[start:]
	}
	return b.String()
}

var mechanismNames = [...]string{
	termInclude: "include",
	termA:       "a",
	termMX:      "mx",
	termPTR:     "ptr",
	termExists:  "exists",
}

// trace follows blitiri's trace to learn which directive matched: it
// reports the matching directive of each level on the way back up, so the
// last one reported belongs to the record that decided.
func (e *evaluation) trace(format string, args ...any) {
	switch format {
	case "all: %v":
		e.matched = "all"
	case "%q %v, %v":
		if s, ok := args[0].(string); ok {
			e.matched = s
		}
	case "fallback to neutral":
		e.matched = ""
	}
}

// decidingRecord returns the record whose directives gave the result: the
// checked domain's, or the end of its chain of redirects (RFC 7208 §6.1).
func (e *evaluation) decidingRecord() *fetchedRecord {
	f := e.top
	for f != nil && f.redirected != nil {
		f = f.redirected
	}
	return f
}

// matchedTerm returns the directive of f that blitiri reported as matched
// (without its qualifier, as rewritten), as written in the record; or
// "default" when none matched (RFC 7208 §4.7).
func (f *fetchedRecord) matchedTerm(matched string) string {
	if matched == "" || f == nil {
		return "default"
	}
	for i, t := range f.rec.terms {
		if t.qualifier == 0 {
			continue
		}
		text := t.text
		if f.compiled != nil {
			text = f.compiled[i]
		}
		if text != "" && isQualifier(text[0]) {
			text = text[1:]
		}
		if strings.EqualFold(text, matched) {
			return t.text
		}
	}
	return matched
}
