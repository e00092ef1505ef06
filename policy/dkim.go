package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/publicsuffix"
)

// maxDKIMSignatures bounds the DKIM-Signature fields verified per message
// (go-msgauth's VerifyOptions.MaxVerifications): the first five in header
// order, that is the five added last. Fields past them are ignored. Only
// aligned signatures (see verifyDKIM) cost a DNS query and a pass over the
// body; the others are refused before either.
const maxDKIMSignatures = 5

// maxDKIMHeader bounds the header read for DKIM verification, as
// maxReplay does for the header scan: go-msgauth holds the whole header in
// memory, with no limit of its own. A longer header is not verified.
const maxDKIMHeader = 1 << 20

// verifyDKIM reports whether msg, a message as received (header, blank
// line, body; CRLF or LF line ends), carries a DKIM signature (RFC 6376)
// that verifies and is aligned with domain, the domain of the return path.
// On success signer is the signature's d= (lower case) and ok is true.
//
// # Alignment
//
// A signature is aligned when its d= equals, case-insensitively:
//
//   - domain itself, or
//   - the organisational domain of domain: its registrable domain, one
//     label below its public suffix (RFC 7489 §3.2, with the Public Suffix
//     List of golang.org/x/net/publicsuffix, private section included).
//     For bob@mail.example.org, d=example.org is aligned: the organisation
//     that owns example.org controls, and vouches for, its subdomains.
//
// Nothing else is: not a d= below domain (d=mail.example.org for
// bob@example.org: a subdomain may be delegated to another party, such as
// a mailing service), not a sibling (d=a.example.org for bob@b.example.org),
// not a parent between domain and its organisational domain
// (d=b.example.org for bob@a.b.example.org), not an unrelated domain. This
// is stricter than DMARC's relaxed alignment, which accepts any two names
// under the same organisational domain: authority here only flows down,
// from the organisation to its names.
//
// The organisational domain is never a public suffix: for bob@foo.co.uk it
// is foo.co.uk, so d=co.uk is not aligned. When domain is itself a public
// suffix (bob@co.uk) it has no organisational domain, and only an exact
// d=co.uk is aligned: its key is published under co.uk by the one party
// that also receives co.uk's mail, so the bounce reaches no third party.
//
// # Which signatures count
//
// The signature must verify in full (go-msgauth: rsa-sha256 with a key of
// 1024 bits or more, or ed25519-sha256; never rsa-sha1, RFC 8301), not be
// expired (x=, checked against the wall clock, not Policy.Now), and its h=
// must cover From (go-msgauth refuses a signature whose h= lacks it).
// A signature with a body length tag (l=) is refused even when it
// verifies: l= signs only the first l octets of the body, so anyone can
// append content to a genuine signed message (RFC 6376 §8.2) and keep a
// valid signature. go-msgauth refuses l= itself; a test pins that.
//
// At most maxDKIMSignatures signatures are verified, and only aligned ones
// cause a key lookup (at most one TXT query each, through lookupTXT with
// ctx) and a pass over the body: a message cannot make us query names of
// its choosing outside the return path's domain. One aligned signature
// that verifies is enough, whatever the others say. The body is streamed,
// never held; the header is limited to maxDKIMHeader bytes (a longer one
// means ok false).
//
// # Errors
//
// err is non-nil only when the answer could not be had and might be on
// retry: ctx ended (errors.Is(err, ctx.Err())), msg could not be read, or
// no aligned signature verified and the key of one of them could not be
// looked up for a temporary reason (errors.As finds the *net.DNSError,
// with IsTemporary or IsTimeout). The caller treats it like an SPF
// temperror. Everything else (no signature, none aligned, a missing or
// revoked key, a bad signature, a malformed message) is ok false with a
// nil error. lookupTXT's errors are classified as go-msgauth does
// (dkim.IsTempFail, dkim.IsPermFail): a *net.DNSError with IsNotFound means
// no key; any other error is taken as temporary.
//
// # Replay risk
//
// DKIM signs the message, not the envelope, so it says nothing about the
// return path: a genuine message signed by example.org can be re-sent by
// anyone, verbatim (or with unsigned header fields added), with a forged
// return path such as victim@example.org, and its signature still verifies.
// Accepting DKIM therefore makes us bounce to that forged address: a
// spammer who holds one signed message from a domain can aim our bounces
// at any address in that domain (or, through the organisational rule, in
// its subdomains), for as long as the signing key is published and the
// signature not expired. The harm is limited to the signer's own domain:
// the return path must be aligned with the d= that signed, so no one can
// direct our bounces at a third party's domain with it, and refusing l=
// keeps the replayed content to what the signer signed. SPF has no such
// risk, since it checks the connecting client against the return path
// itself; this is why DKIM is opt-in.
func verifyDKIM(ctx context.Context, lookupTXT func(ctx context.Context, name string) ([]string, error), msg io.Reader, domain string) (signer string, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("policy: dkim: %w", err)
	}
	exact, org := dkimCandidates(domain)
	if exact == "" {
		return "", false, nil
	}
	aligned := func(d string) bool {
		d = normalizeDKIMDomain(d)
		return d != "" && (d == exact || d == org)
	}

	keys := &dkimKeyLookup{ctx: ctx, lookup: lookupTXT, suffixes: []string{"._domainkey." + exact}}
	if org != "" {
		keys.suffixes = append(keys.suffixes, "._domainkey."+org)
	}
	in := &dkimReader{ctx: ctx, r: msg, atLineStart: true, headerLeft: maxDKIMHeader}
	verifs, verr := dkim.VerifyWithOptions(in, &dkim.VerifyOptions{
		LookupTXT:        keys.lookupTXT,
		MaxVerifications: maxDKIMSignatures,
	})

	// A cancelled context or a read error cut the message short, and
	// whatever go-msgauth concluded from the truncated copy is void.
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("policy: dkim: %w", err)
	}
	if in.err != nil {
		return "", false, fmt.Errorf("policy: dkim: reading the message: %w", in.err)
	}
	if in.headerOver {
		return "", false, nil
	}
	if verr != nil && !errors.Is(verr, dkim.ErrTooManySignatures) {
		// A malformed header: retrying will not mend it.
		return "", false, nil
	}

	temporary := false
	for _, v := range verifs {
		if v == nil || !aligned(v.Domain) {
			continue
		}
		if v.Err == nil {
			return normalizeDKIMDomain(v.Domain), true, nil
		}
		if dkim.IsTempFail(v.Err) {
			temporary = true
		}
	}
	if temporary {
		if err := keys.tempErr(); err != nil {
			return "", false, fmt.Errorf("policy: dkim: looking up a key: %w", err)
		}
		return "", false, errors.New("policy: dkim: key lookup failed temporarily")
	}
	return "", false, nil
}

// dkimCandidates returns the d= values aligned with domain: domain itself
// and its organisational domain (empty when domain is one, or is a public
// suffix), both in lower case. exact is empty when domain is not a usable
// domain name (see normalizeDKIMDomain).
func dkimCandidates(domain string) (exact, org string) {
	exact = normalizeDKIMDomain(domain)
	if exact == "" {
		return "", ""
	}
	o, err := publicsuffix.EffectiveTLDPlusOne(exact)
	if err != nil || o == exact {
		return exact, ""
	}
	return exact, o
}

// normalizeDKIMDomain returns d as a lower-case domain name without a
// trailing dot, or "" when it is none: empty, an address literal, an empty
// label, a character that is neither an ASCII letter, a digit, '-', '_'
// nor '.'. So a domain in U-labels is never aligned: RFC 6376 §3.5 has d=
// in ASCII, and a return path domain in U-labels is not compared.
func normalizeDKIMDomain(d string) string {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return ""
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
		case c == '.':
			if i == 0 || d[i-1] == '.' {
				return ""
			}
		default:
			return ""
		}
	}
	return strings.ToLower(d)
}

// dkimKeyLookup is the LookupTXT given to go-msgauth: it queries only the
// key names of aligned signatures, through the library's resolver with the
// decision's context, and keeps the first temporary error, which
// go-msgauth's own error (a string) would lose. go-msgauth calls it from
// one goroutine per signature.
type dkimKeyLookup struct {
	ctx      context.Context
	lookup   func(ctx context.Context, name string) ([]string, error)
	suffixes []string // "._domainkey." + an aligned domain

	mu    sync.Mutex
	first error // the first temporary error
}

func (k *dkimKeyLookup) lookupTXT(name string) ([]string, error) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	wanted := false
	for _, s := range k.suffixes {
		if strings.HasSuffix(n, s) && len(n) > len(s) {
			wanted = true
			break
		}
	}
	if !wanted {
		// Not an aligned signature: it could not count, so no query is
		// made for it.
		return nil, &net.DNSError{Err: "not an aligned signature's key", Name: name, IsNotFound: true}
	}
	txts, err := k.lookup(k.ctx, name)
	if err == nil {
		return txts, nil
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound && !dnsErr.IsTemporary && !dnsErr.IsTimeout {
		return nil, dnsErr // no key: a permanent failure for go-msgauth
	}
	k.mu.Lock()
	if k.first == nil {
		k.first = err
	}
	k.mu.Unlock()
	// go-msgauth tells temporary failures by a type assertion on net.Error;
	// hand it one, whatever the resolver's error type.
	return nil, &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
}

func (k *dkimKeyLookup) tempErr() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.first
}

// dkimReader is msg as go-msgauth reads it. It never returns an error but
// io.EOF: on a read error, when ctx ends, or when the header runs past
// headerLeft bytes, it records why and ends the stream. go-msgauth, given
// an error while it copies the body to several signatures at once, returns
// without closing its pipes and leaks a goroutine per signature; an early
// EOF lets it finish, and verifyDKIM then discards the result.
type dkimReader struct {
	ctx context.Context
	r   io.Reader

	err        error // the read error, if any
	headerOver bool  // the header was longer than maxDKIMHeader

	// The end of the header is a line that is empty or holds only CR.
	headerDone  bool
	atLineStart bool  // the header so far ends with a line end, or is empty
	sawCR       bool  // and is followed by a CR at the start of a line
	headerLeft  int64 // header bytes, empty line included, that may still be read
	stopped     bool  // EOF from now on
}

func (d *dkimReader) Read(p []byte) (int, error) {
	if d.stopped {
		return 0, io.EOF
	}
	if d.ctx.Err() != nil {
		d.stopped = true
		return 0, io.EOF
	}
	if !d.headerDone && int64(len(p)) > d.headerLeft {
		if d.headerLeft <= 0 {
			d.headerOver, d.stopped = true, true
			return 0, io.EOF
		}
		p = p[:d.headerLeft]
	}
	n, err := d.r.Read(p)
	if !d.headerDone {
		d.scanHeader(p[:n])
	}
	if err != nil {
		if err != io.EOF {
			d.err = err
		}
		d.stopped = true
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	}
	return n, nil
}

// scanHeader follows the header through p, to find where it ends.
func (d *dkimReader) scanHeader(p []byte) {
	for _, c := range p {
		d.headerLeft--
		switch {
		case c == '\n' && (d.atLineStart || d.sawCR):
			d.headerDone = true
			return
		case c == '\n':
			d.atLineStart = true
		case c == '\r' && d.atLineStart:
			d.atLineStart, d.sawCR = false, true
		default:
			d.atLineStart, d.sawCR = false, false
		}
	}
}

// dkimPass reports whether the original shows the return path genuine by
// DKIM (Policy.Authenticate). It opens the original anew: the header scan
// keeps only the header, and a DSN may still stream the original. A key
// lookup that fails for now counts as no signature (see
// Policy.Authenticate); only the end of ctx is an error.
func (p *Policy) dkimPass(ctx context.Context, ev *Event) (bool, error) {
	res := p.defaults().resolver
	if ev.Original == nil || res == nil {
		return false, nil
	}
	rc, err := openOriginal(ev.Original)
	if err != nil {
		return false, fmt.Errorf("policy: opening the original: %w", err)
	}
	defer rc.Close()
	_, ok, _ := verifyDKIM(ctx, res.LookupTXT, rc, domainOf(ev.ReturnPath))
	if err := ctxErr(ctx); err != nil {
		return false, fmt.Errorf("policy: verifying DKIM: %w", err)
	}
	return ok, nil
}
