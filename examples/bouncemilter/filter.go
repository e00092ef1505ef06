package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"

	"github.com/d--j/go-milter"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// maxMessage bounds the DSN a session holds in memory. Postfix returns at
// most bounce_size_limit (50,000 bytes by default) of the original, and
// at most header_size_limit (100 KiB) of its header: a DSN over this is
// no DSN of a sane configuration, and is tempfailed rather than decided
// unread.
const maxMessage = 4 << 20

// filter is what every session shares: the settings, the policy (safe for
// concurrent use, its SPF answers cached for their TTLs) and the log.
type filter struct {
	cfg config
	pol *policy.Policy
	log *slog.Logger
}

// newFilter makes the filter cfg describes. DNS goes to the -dns server or
// the system's resolvers, behind a cache, or answers from the -zone file.
func newFilter(cfg config, log *slog.Logger) (*filter, error) {
	r, err := dnsflag.NewCached(cfg.dnsAddr, cfg.zoneFile)
	if err != nil {
		return nil, err
	}
	return newFilterWith(cfg, r, log), nil
}

// newFilterWith makes the filter cfg describes, asking r for DNS.
func newFilterWith(cfg config, r spf.Resolver, log *slog.Logger) *filter {
	return &filter{cfg: cfg, pol: newPolicy(cfg, r), log: log}
}

// newPolicy is the bounce policy the flags describe: the -policy file's,
// or the defaults of policy.Policy (SPF-gated: bounce on pass, defer on
// temperror, drop on the rest), amended by the flags, with SPF from r
// when it must be evaluated.
func newPolicy(cfg config, r spf.Resolver) *policy.Policy {
	p := &policy.Policy{}
	if cfg.policyFile != nil {
		// parseFlags checked that it converts; a fresh Policy each time,
		// since one must not be copied.
		if fp, err := cfg.policyFile.Policy(); err == nil {
			p = fp
		}
	}
	p.AuthservID = cfg.authservID
	p.ReportingMTA = cmp.Or(p.ReportingMTA, cfg.authservID)
	p.TrustRecordedHeaders = cfg.trustRecorded
	p.Postmaster = cmp.Or(cfg.postmaster, p.Postmaster)
	if cfg.noticeOn != nil {
		p.NoticeOn = cfg.noticeOn
	}
	if r != nil {
		// Receiver is the %{r} macro of explanations (RFC 7208 §7.2).
		p.Checker = &spf.Checker{Resolver: r, Timeout: cfg.timeout, Receiver: cfg.authservID}
		p.Resolver = r
	}
	return p
}

// protocol leaves out the events the filter has no use for: the
// connection, HELO, the DATA command and unknown commands. It needs the
// envelope, the header and the body: the whole DSN.
const protocol = milter.OptNoConnect | milter.OptNoHelo | milter.OptNoData | milter.OptNoUnknown

// newServer returns a milter server that gives each connection a session.
func (f *filter) newServer() *milter.Server {
	return milter.NewServer(
		milter.WithMilter(func() milter.Milter { return &session{f: f} }),
		milter.WithProtocol(protocol),
		// X-Bounce-Policy, and the recipient's replacement by the
		// postmaster.
		milter.WithAction(milter.OptAddHeader|milter.OptAddRcpt|milter.OptRemoveRcpt),
		// The queue ID, for the log only: a missing macro is "".
		milter.WithMacroRequest(milter.StageEOM, []milter.MacroName{milter.MacroQueueId}),
	)
}

// act is what the milter does with one message.
type act string

// The acts. Only actBounce and actNotice let a DSN leave.
const (
	actPass     act = "pass"     // not a DSN: accepted untouched
	actBounce   act = "bounce"   // the DSN goes to the return path, marked
	actNotice   act = "notice"   // dropped, the DSN goes to the postmaster instead
	actDiscard  act = "discard"  // dropped, no notice
	actTempfail act = "tempfail" // undecided: Postfix keeps the original and retries
)

// verdict is the outcome of judge: the act, the policy's decision when
// there was one, and, for actPass and actTempfail, why.
type verdict struct {
	act      act
	decision policy.Decision
	why      error
}

// envelope is the DSN's envelope and header as the MTA gave them.
type envelope struct {
	from        string   // the return path, without angle brackets
	rcpts       []string // the recipients, without angle brackets
	contentType string   // the first Content-Type field's value
	truncated   bool     // the message was over maxMessage
}

// Why a message is passed untouched or tempfailed, besides the errors of
// dsn.Parse and of the policy.
var (
	errNotNull     = errors.New("not a DSN: the return path is not null")
	errNotReport   = errors.New("not a DSN: no multipart/report")
	errTooLarge    = fmt.Errorf("DSN over %d bytes: not read", maxMessage)
	errRecipients  = errors.New("DSN with other than one recipient: Postfix's bounce(8) writes one")
	errUndecidable = errors.New("the policy deferred the decision")
)

// judge decides what becomes of the message msg, with env its envelope.
// Any doubt is a tempfail: Postfix then keeps the original queued and
// writes its DSN again at its next attempt, so nothing is lost.
func (f *filter) judge(ctx context.Context, env envelope, msg []byte) verdict {
	// RFC 3461 §6.2, RFC 5321 §4.5.5: a DSN has the null return path.
	// Postfix's postmaster copies have the double-bounce sender instead:
	// they are not a sender's DSN, and pass.
	if env.from != "" {
		return verdict{act: actPass, why: errNotNull}
	}
	// RFC 3464 §2, RFC 6522 §3: a DSN is a multipart/report.
	if mt, _, err := mime.ParseMediaType(env.contentType); err != nil || mt != "multipart/report" {
		return verdict{act: actPass, why: errNotReport}
	}
	switch {
	case env.truncated:
		return verdict{act: actTempfail, why: errTooLarge}
	case len(env.rcpts) != 1:
		return verdict{act: actTempfail, why: errRecipients}
	}
	r, err := dsn.Parse(bytes.NewReader(msg))
	if err != nil {
		return verdict{act: actTempfail, why: err}
	}
	// The DSN's envelope recipient is the original's return path
	// (RFC 3461 §6.2).
	ev, err := f.pol.EventFromReport(r, env.rcpts[0])
	if err != nil {
		return verdict{act: actTempfail, why: err}
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.timeout)
	defer cancel()
	d, err := f.pol.Decide(ctx, ev)
	if err != nil {
		return verdict{act: actTempfail, why: err}
	}
	v := verdict{decision: d}
	switch {
	case d.Action == policy.Bounce:
		v.act = actBounce
	case d.Action == policy.Drop && d.Notice != nil:
		// Policy composed a notice: the reason is in notice_on, and the
		// notice limit lets it go. Postfix's own DSN goes instead.
		v.act = actNotice
	case d.Action == policy.Drop:
		v.act = actDiscard
	default:
		// Defer (SPF temperror, a rate limit): decided again when Postfix
		// retries the original.
		v.act, v.why = actTempfail, errUndecidable
	}
	return v
}

// policyField is the X-Bounce-Policy field's value: the decision's action
// and its reason, such as "bounce; reason=spf-pass", in the form of an
// RFC 2045 §5.1 parameter list, the reasons being tokens.
func policyField(d policy.Decision) string {
	return string(d.Action) + "; reason=" + string(d.Reason)
}

// headerName is the field bouncemilter adds to the DSNs it lets go.
const headerName = "X-Bounce-Policy"

// isContentType reports whether a field name is Content-Type, in any case
// (RFC 5322 §1.2.2).
func isContentType(name string) bool { return strings.EqualFold(name, "Content-Type") }
