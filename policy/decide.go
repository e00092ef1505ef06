package policy

import (
	"context"
	"fmt"
	"time"
)

// Decide decides what becomes of the failed delivery ev: the rules of the
// package documentation in order, the first match winning. It reads the
// original's header, evaluates SPF when the rules need it and nothing was
// recorded, and composes the DSN (bounce) or the postmaster notice (drop).
//
// Decide returns an error for an invalid policy or event (wrapping
// ErrInvalidPolicy or ErrInvalidEvent, also for a field dsn.Compose
// rejects), when ctx ends during an SPF evaluation, or when the original
// cannot be read. An original that dsn.Compose cannot return (a header
// over 1 MiB) is left out of the DSN, not an error: see Message.Omitted.
func (p *Policy) Decide(ctx context.Context, ev Event) (Decision, error) {
	d, err := p.decideEvent(ctx, ev)
	p.log(ctx, &ev, d, err)
	return d, err
}

// decideEvent is Decide without the log.
func (p *Policy) decideEvent(ctx context.Context, ev Event) (Decision, error) {
	if err := p.Validate(); err != nil {
		return Decision{}, err
	}
	if err := ev.Validate(); err != nil {
		return Decision{}, err
	}
	if err := ctxErr(ctx); err != nil {
		return Decision{}, fmt.Errorf("policy: deciding: %w", err)
	}
	ev.ReturnPath = plainPath(ev.ReturnPath) // RFC 5321 §C

	// Rule 1: the client's MTA reports a failure given in-session.
	if ev.InSession {
		return Decision{Action: Reject, Reason: ReasonInSession, Reject: rejectReply(ev.Recipients, ev.SMTPUTF8)}, nil
	}

	reported, suppressed := filterNotify(ev.Recipients)
	d := Decision{Reported: addresses(reported), Suppressed: suppressed}
	orig := &original{open: ev.Original}
	defer orig.Close()
	if err := p.decide(ctx, &ev, orig, reported, &d); err != nil {
		return Decision{}, err
	}
	if err := p.attach(&ev, orig, reported, &d); err != nil {
		return Decision{}, err
	}
	return d, nil
}

// ctxErr is ctx.Err(), and a deadline error as soon as ctx's deadline has
// passed: a DNS exchange given that deadline can time out a moment before
// ctx's own timer marks it done, and the temperror it leaves is no verdict.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// decide applies rules 2 to 8, setting d's Action, Reason, SPF and RetryAt.
func (p *Policy) decide(ctx context.Context, ev *Event, orig *original, reported []Recipient, d *Decision) error {
	// Rule 2: never a DSN to the null return path (RFC 5321 §4.5.5).
	if ev.ReturnPath == "" {
		d.Action, d.Reason = Drop, ReasonNullSender
		return nil
	}
	// Rule 3: NOTIFY asked for no report at all (RFC 3461 §4.1).
	if len(reported) == 0 {
		d.Action, d.Reason = Drop, ReasonNotify
		return nil
	}
	// Rule 4: no automatic answer to an automatic message (RFC 3834 §2).
	h, err := orig.Header()
	if err != nil {
		return err
	}
	if h.automatic {
		d.Action, d.Reason = Drop, ReasonLoop
		return nil
	}
	// Rule 5: spam and viruses mostly come with forged return paths.
	if ev.Content != "" {
		d.Action, d.Reason = orDefault(p.HostileContent, Drop), ReasonHostileContent
		return nil
	}
	// Rule 6: our own users' return paths are genuine.
	if ev.Authenticated {
		d.Action, d.Reason = Bounce, ReasonTrustedSender
		return nil
	}
	// Rule 7: the modes that ignore SPF.
	switch p.Mode {
	case ModeDiscard:
		d.Action, d.Reason = Drop, ReasonPolicyDiscard
		return nil
	case ModeAlways:
		d.Action, d.Reason = Bounce, ReasonPolicyAlways
		return nil
	}
	// Rule 8: SPF on the return path.
	d.SPF, d.SPFSource = p.spfVerdict(ctx, ev, h)
	if err := ctxErr(ctx); err != nil {
		// The caller gave up: the temperror this causes is no verdict.
		return fmt.Errorf("policy: evaluating SPF: %w", err)
	}
	d.Action, d.Reason = p.onSPF(d.SPF.Result), spfReason(d.SPF.Result)
	if d.Action != Bounce && p.authenticates(AuthDKIM) {
		pass, err := p.dkimPass(ctx, ev)
		if err != nil {
			return err
		}
		if pass {
			d.Action, d.Reason = Bounce, ReasonDKIMPass
			return nil
		}
	}
	if d.Action == Defer {
		p.deferOrFallback(ev, d)
	}
	return nil
}

// deferOrFallback defers a temperror until the window from receipt ends,
// then applies the fallback.
func (p *Policy) deferOrFallback(ev *Event, d *Decision) {
	now := p.now()
	deadline := ev.ReceivedAt.Add(orDefault(p.DeferFor, DefaultDeferFor))
	if ev.ReceivedAt.IsZero() || !now.Before(deadline) {
		d.Action, d.Reason = orDefault(p.Fallback, Drop), ReasonSPFTempErrorExpired
		return
	}
	retry := now.Add(orDefault(p.RetryAfter, DefaultRetryAfter))
	if retry.After(deadline) {
		retry = deadline
	}
	d.RetryAt = retry
}

// attach composes what the decision sends: the DSN for a bounce, the
// postmaster notice for a drop.
func (p *Policy) attach(ev *Event, orig *original, reported []Recipient, d *Decision) error {
	var err error
	switch {
	case d.Action == Bounce:
		d.DSN, err = p.dsnFor(ev, orig, reported)
	case d.Action == Drop && p.noticeOn(d.Reason):
		if len(reported) == 0 {
			reported = ev.Recipients // the notice covers what NOTIFY left out
		}
		d.Notice, err = p.noticeFor(ev, orig, reported, d)
	}
	if err != nil {
		return fmt.Errorf("%w (decision: %s)", err, d)
	}
	return nil
}
