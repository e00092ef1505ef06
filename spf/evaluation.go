package spf

import (
	"context"
	"errors"
	"net"
)

// errMultipleRecords is handed to blitiri for a domain with several SPF
// records; any error that is not a *net.DNSError makes it permerror.
var errMultipleRecords = errors.New("spf: several SPF records (RFC 7208 §4.5)")

// An evaluation is the state of one check. blitiri evaluates the records;
// the evaluation fetches each one, checks it strictly, and keeps the chain
// of redirects, so that the record that decided the result is known for
// exp= (RFC 7208 §6.2). blitiri.go hands the records over.
type evaluation struct {
	bound    boundOptions // kept from check to check
	resolver Resolver
	records  *recordCache // the Checker's
	env      macroEnv
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
	domain     string         // the <domain> it was evaluated for, %{d}
	rec        *record        // shared with the Checker's recordCache: read only
	compiled   []string       // the directives as handed to blitiri, when rewritten
	redirected *fetchedRecord // the record its redirect= led to, if evaluated
	answer     [1]string      // what blitiri gets, kept here to save an allocation
}

// newEvaluation returns the evaluation of a check: one that an earlier
// check left, when there is one, so that a check allocates no state of its
// own. Nothing keeps an evaluation after its check.
func (c *Checker) newEvaluation(r Resolver, env macroEnv) *evaluation {
	e, _ := c.evaluations.Get().(*evaluation)
	if e == nil {
		e = new(evaluation)
		e.bound = e.bindOptions()
	}
	*e = evaluation{bound: e.bound, resolver: r, records: &c.records, env: env}
	return e
}

// fetch returns the SPF record of name, nil when it has none (RFC 7208
// §4.5), checked strictly: a syntax error anywhere in it is a permerror,
// even after a match, where blitiri would only see the terms it reaches
// (RFC 7208 §4.6). redirectOf, when not nil, is the record whose redirect=
// led here.
func (e *evaluation) fetch(ctx context.Context, name string, redirectOf *fetchedRecord) (*fetchedRecord, error) {
	txts, err := e.resolver.LookupTXT(ctx, name)
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
	rec, err := e.records.parse(text)
	if err != nil {
		return nil, err
	}
	f := &e.first
	if e.top != nil {
		f = new(fetchedRecord)
	}
	f.domain, f.rec, f.answer[0] = name, rec, text
	if e.top == nil {
		e.top = f
	}
	if redirectOf != nil {
		redirectOf.redirected = f
	}
	return f, nil
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

// isQueryable reports whether name can be asked for in DNS. A target name
// that cannot is treated as not existing (RFC 7208 §4.3, §4.8).
func isQueryable(name string) bool { return labelCount(name) > 0 }

// errNoSuchName answers for a name that cannot exist in DNS.
func errNoSuchName(name string) error {
	return &net.DNSError{Err: "invalid domain name", Name: name, IsNotFound: true}
}
