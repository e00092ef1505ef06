package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// Mode selects how failures that no earlier rule settled are decided
// (rules 7 and 8).
type Mode string

// The modes. The zero Mode is ModeSPFGated.
const (
	ModeSPFGated Mode = "spf-gated" // by the SPF verdict on the return path
	ModeAlways   Mode = "always"    // bounce: no protection against backscatter
	ModeDiscard  Mode = "discard"   // never bounce
)

// Defaults of the zero Policy.
const (
	// DefaultDeferFor is how long after receipt a temperror may hold the
	// decision: long enough to ride out a DNS outage, short enough that a
	// genuine sender still learns of the failure the same day.
	DefaultDeferFor = 4 * time.Hour
	// DefaultRetryAfter is how long a deferred decision waits before the
	// next attempt: DNS failures are mostly brief.
	DefaultRetryAfter = 30 * time.Minute
	// DefaultReturnSizeLimit is the largest original a DSN returns in
	// full (RET=FULL), in bytes: Postfix's bounce_size_limit. A DSN is
	// held in memory (Message.Data), so it stays small.
	DefaultReturnSizeLimit = 50_000
)

// SPFChecker evaluates SPF for a return path. *spf.Checker satisfies it;
// tests can give a fake.
type SPFChecker interface {
	Check(ctx context.Context, ip netip.Addr, helo, sender string) spf.Verdict
}

var _ SPFChecker = (*spf.Checker)(nil)

// ErrInvalidPolicy is wrapped by the errors of Policy.Validate.
var ErrInvalidPolicy = errors.New("policy: invalid policy")

// Policy is the bounce policy of a mail server. The zero value is usable:
// SPF-gated, bouncing only on pass, dropping on every other result except
// temperror, which defers for DefaultDeferFor and then drops.
//
// A Policy is safe for concurrent use by many goroutines. It must not be
// modified or copied after its first Decide, which settles its defaults
// (host name, checker) once.
type Policy struct {
	// Mode is ModeSPFGated when empty.
	Mode Mode

	// OnSPF maps SPF results to Bounce, Drop or (temperror only) Defer;
	// results missing from it keep their defaults: pass → Bounce,
	// temperror → Defer, everything else → Drop. An entry for neutral, if
	// any, must equal the one for none: RFC 7208 §8.2 says neutral MUST be
	// treated exactly like none.
	OnSPF map[spf.Result]Outcome

	// ReportingMTA is our host name: the DSN's Reporting-MTA and From
	// (postmaster@ReportingMTA), and the SPF checker's receiver. When
	// empty, os.Hostname is used, or "localhost" when it gives no valid
	// name.
	ReportingMTA string

	// AuthservID names our host in the Received-SPF (receiver=) and
	// Authentication-Results (authserv-id) fields we add at receipt. When
	// empty, ReportingMTA is used; when that too is unknown (no valid host
	// name), no field is trusted.
	AuthservID string

	// TrustRecordedHeaders lets a Received-SPF or Authentication-Results
	// field naming AuthservID supply the SPF verdict when the event
	// records none, and only such a field above our own topmost Received
	// field (see the package documentation). Off by default: a sender can
	// write any field into its message, our name included, so the MTA
	// must record SPF at receipt and delete arriving fields that claim our
	// name (RFC 8601 §5) before this may be turned on.
	TrustRecordedHeaders bool

	// Authenticate lists the ways rule 8 accepts to show a return path
	// genuine: AuthSPF, and optionally AuthDKIM. Nil means AuthSPF alone.
	// AuthSPF must be in it: DKIM is a second way, not a replacement.
	//
	// With AuthDKIM, when SPF does not lead to a bounce, a DKIM signature
	// (RFC 6376) that verifies, with d= the return path's domain or that
	// domain's organisational domain, leads to a bounce with reason
	// ReasonDKIMPass. That rescues bounces of forwarded mail, whose SPF
	// fails, but has a replay risk: anyone holding one message signed by a
	// domain can resend it with any return path in that domain, and we then
	// bounce to that address. The damage stays within the signer's own
	// domain; signatures with a body length (l=) are never accepted, since
	// anyone can append to their body. A DKIM key lookup that fails for
	// now counts as no signature.
	Authenticate []AuthMethod

	// Resolver answers the DNS queries of the default Checker and of DKIM
	// key lookups. When nil, the system resolvers behind a resolver.Cache are
	// used, made once per Policy.
	Resolver spf.Resolver

	// Postmaster, when set, receives a notice for the drops whose reason
	// is in NoticeOn: the would-be DSN with the original's header only,
	// so that a drop of what may be genuine mail is not silent.
	Postmaster string

	// NoticeOn is the set of drop reasons that send the postmaster a
	// notice. Nil means the drops where the mail may be genuine:
	// spf-temperror-expired, spf-none, spf-neutral, spf-softfail,
	// spf-permerror and hostile-content; not spf-fail, null-sender, loop,
	// notify or policy-discard, near-certain drops that would flood the
	// postmaster in a forged spam run (RFC 5321 §6.2). An empty non-nil
	// slice means no notices.
	NoticeOn []Reason

	// Logger, when set, receives every Decision at level Info with its
	// reason, SPF verdict and source and recipients, notice or not: the
	// record of each drop is never lost.
	Logger *slog.Logger

	// ReturnSizeLimit caps the original returned in a DSN with RET=FULL;
	// over it, the DSN returns the header only (RFC 3461 §6.2). Zero means
	// DefaultReturnSizeLimit; negative means no limit, and a DSN that
	// returns over 1 MiB is then not held in memory but composed as
	// Message.WriteTo writes it. Decide keeps the memory it read an
	// original into for the next decision, up to 4 MiB.
	ReturnSizeLimit int64

	// NoSPFReevaluation forbids evaluating SPF at decision time: it is
	// the bouncecheck policy's "reevaluate_spf": false, negated so that
	// the zero Policy keeps the default. By default, when neither the
	// event nor a trusted header records a result, or when the recorded
	// result is temperror, SPF is evaluated with the client IP, HELO and
	// return path recorded at receipt. With NoSPFReevaluation, an event
	// without a recorded result is decided as SPF none.
	NoSPFReevaluation bool

	// DeferFor is the defer window for temperror, from Event.ReceivedAt:
	// DefaultDeferFor when zero; negative means no deferral, the Fallback
	// at once. Past the window, Fallback applies.
	DeferFor time.Duration

	// RetryAfter is the wait before deciding a deferred event again,
	// DefaultRetryAfter when zero; RetryAt never passes the window's end.
	RetryAfter time.Duration

	// Fallback is Bounce or Drop: what a temperror gets once the defer
	// window has run out. Drop when empty.
	Fallback Outcome

	// HostileContent is what rule 5 does with spam or virus verdicts:
	// Drop (the default) or Bounce.
	HostileContent Outcome

	// Checker evaluates SPF. When nil, an spf.Checker on the system
	// resolvers behind a resolver.Cache is used, made once per Policy.
	Checker SPFChecker

	// Now is the clock, time.Now when nil.
	Now func() time.Time

	// BounceLimit caps the DSNs sent to one return-path domain: past Max
	// in a window, a bounce is deferred (ReasonRateLimit) until the
	// window ends, so that a flood of failures, forged or not, does not
	// turn us into a flood of DSNs to one domain. Only bounces count.
	// The zero Limit sets none.
	BounceLimit Limit

	// NoticeLimit caps the postmaster notices: past Max in a window, a
	// drop's notice is not sent but counted, and the next notice sent
	// says how many were held back. The zero Limit sets none.
	NoticeLimit Limit

	// Store remembers the vacation replies sent and counts the bounces
	// and notices of the rate limits. nil: an in-process MemoryStore made
	// once per Policy, on the Policy's clock. Policies on several hosts
	// that must share their limits share one Store, such as
	// policy/redisstore.
	Store Store

	// ComposeOptions holds the options for dsn.Compose other than Ret,
	// ReturnSizeLimit and Now, which come from the event, ReturnSizeLimit
	// and Now: the 7-bit path, the default return, and the hooks for
	// Message-ID, boundary and text.
	ComposeOptions dsn.ComposeOptions

	once        sync.Once
	def         defaults
	scratchPool sync.Pool // of *scratch: the decisions' working memory
}

// AuthMethod names a way to show a return path genuine.
type AuthMethod string

// The authentication methods of Policy.Authenticate.
const (
	AuthSPF  AuthMethod = "spf"  // SPF on the return path (RFC 7208)
	AuthDKIM AuthMethod = "dkim" // an aligned DKIM signature (RFC 6376)
)

// defaultNoticeOn are the drops a postmaster hears of by default: those
// where the mail may be genuine. A fail, a null sender, a loop or NOTIFY
// are near-certain (RFC 5321 §6.2) and would flood the postmaster in a
// forged spam run.
var defaultNoticeOn = [...]Reason{
	ReasonSPFTempErrorExpired, ReasonSPFNone, ReasonSPFNeutral,
	ReasonSPFSoftFail, ReasonSPFPermError, ReasonHostileContent,
}

// defaults are the values a Policy settles once, at its first use.
type defaults struct {
	reportingMTA string
	authservID   string // "": trust no header field
	checker      SPFChecker
	resolver     spf.Resolver
	store        Store // never nil
}

// Validate checks the configuration; Decide calls it too. Its errors wrap
// ErrInvalidPolicy and name the field.
func (p *Policy) Validate() error {
	switch p.Mode {
	case "", ModeSPFGated, ModeAlways, ModeDiscard:
	default:
		return policyError("mode", "unknown mode %q (want spf-gated, always or discard)", p.Mode)
	}
	for r, a := range p.OnSPF {
		if got, err := spf.ParseResult(string(r)); err != nil || got != r {
			return policyError("on_spf", "unknown SPF result %q", r)
		}
		switch {
		case a == Bounce || a == Drop:
		case a == Defer && r == spf.TempError:
		default:
			return policyError("on_spf."+string(r), "action %q not allowed (want bounce or drop, or defer for temperror)", a)
		}
	}
	// RFC 7208 §8.2: neutral MUST be treated exactly like none.
	if a, ok := p.OnSPF[spf.Neutral]; ok && a != p.onSPF(spf.None) {
		return policyError("on_spf.neutral", "must equal on_spf.none (%s): RFC 7208 §8.2 treats neutral exactly like none", p.onSPF(spf.None))
	}
	if p.Fallback != "" && p.Fallback != Bounce && p.Fallback != Drop {
		return policyError("fallback", "action %q not allowed (want bounce or drop)", p.Fallback)
	}
	if p.HostileContent != "" && p.HostileContent != Bounce && p.HostileContent != Drop {
		return policyError("hostile_content", "action %q not allowed (want bounce or drop)", p.HostileContent)
	}
	if p.RetryAfter < 0 {
		return policyError("retry_after", "negative duration %v", p.RetryAfter)
	}
	if p.Postmaster != "" {
		if err := smtpsyntax.CheckMailbox(p.Postmaster, true); err != nil {
			return policyError("postmaster", "%s", err)
		}
	}
	if p.ReportingMTA != "" {
		if err := smtpsyntax.CheckHostname(p.ReportingMTA); err != nil {
			return policyError("reporting_mta", "%s", err)
		}
	}
	for _, m := range p.Authenticate {
		if m != AuthSPF && m != AuthDKIM {
			return policyError("authenticate", "unknown method %q (want spf or dkim)", m)
		}
	}
	if p.Authenticate != nil && !slices.Contains(p.Authenticate, AuthSPF) {
		return policyError("authenticate", "must include spf: dkim is a second way to show a return path genuine, not a replacement")
	}
	for _, r := range p.NoticeOn {
		if !slices.Contains(dropReasons[:], r) {
			return policyError("notice_on", "%q is no reason for a drop", r)
		}
	}
	if p.AuthservID != "" {
		if err := smtpsyntax.CheckHostname(p.AuthservID); err != nil {
			return policyError("authserv_id", "%s", err)
		}
	}
	if err := p.BounceLimit.validate("bounce_limit"); err != nil {
		return err
	}
	return p.NoticeLimit.validate("notice_limit")
}

// policyError is a *dsn.FieldError wrapping ErrInvalidPolicy.
func policyError(field, format string, a ...any) error {
	return &dsn.FieldError{Err: ErrInvalidPolicy, Field: field, Rule: fmt.Sprintf(format, a...)}
}

// onSPF is the table entry for r, with the defaults.
func (p *Policy) onSPF(r spf.Result) Outcome {
	if r == spf.Neutral {
		r = spf.None // RFC 7208 §8.2
	}
	if a, ok := p.OnSPF[r]; ok {
		return a
	}
	switch r {
	case spf.Pass:
		return Bounce
	case spf.TempError:
		return Defer
	}
	return Drop
}

func (p *Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// defaults returns the Policy's defaults, settled at its first use.
func (p *Policy) defaults() *defaults {
	p.once.Do(func() { p.settle(os.Hostname) })
	return &p.def
}

// settle fills in p.def, with hostname giving our host name when
// ReportingMTA is empty.
func (p *Policy) settle(hostname func() (string, error)) {
	d := &p.def
	d.reportingMTA, d.authservID = p.ReportingMTA, p.AuthservID
	if d.reportingMTA == "" {
		if host, err := hostname(); err == nil && host != "" && smtpsyntax.CheckHostname(host) == nil {
			d.reportingMTA = host
		}
	}
	if d.authservID == "" {
		d.authservID = d.reportingMTA
	}
	if d.reportingMTA == "" {
		d.reportingMTA = "localhost" // Reporting-MTA needs a name; authservID stays empty
	}
	d.resolver = p.Resolver
	if d.resolver == nil {
		if res, err := resolver.System(); err == nil {
			d.resolver = resolver.NewCache(res, resolver.CacheOptions{Now: p.Now})
		}
	}
	d.checker = p.Checker
	if d.checker == nil {
		d.checker = &spf.Checker{Receiver: d.reportingMTA, Now: p.Now, Resolver: d.resolver}
	}
	d.store = p.Store
	if d.store == nil {
		d.store = &MemoryStore{Now: p.Now}
	}
}

// noticeOn reports whether a drop for reason r sends the postmaster a
// notice.
func (p *Policy) noticeOn(r Reason) bool {
	if p.Postmaster == "" {
		return false
	}
	if p.NoticeOn == nil {
		return slices.Contains(defaultNoticeOn[:], r)
	}
	return slices.Contains(p.NoticeOn, r)
}

// authenticates reports whether m is one of the policy's ways to show a
// return path genuine.
func (p *Policy) authenticates(m AuthMethod) bool {
	return m == AuthSPF && p.Authenticate == nil || slices.Contains(p.Authenticate, m)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
