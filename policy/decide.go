package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// Decide decides what becomes of the failed delivery ev: the rules of the
// package documentation in order, the first match winning. It reads the
// original's header, evaluates SPF when the rules need it and nothing was
// recorded, and composes the DSN (bounce) or the postmaster notice (drop).
//
// Decide returns an error for an invalid policy or event (wrapping
// ErrInvalidPolicy or ErrInvalidEvent, also for a field dsn.Compose
// rejects), when ctx ends during an SPF evaluation or while a DSN of over
// 1 MiB is composed, or when the original cannot be read. An original
// that dsn.Compose cannot return (a header over 1 MiB) is left out of the
// DSN, not an error: see Message.Omitted.
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
	ev.ReturnPath, _ = smtpsyntax.ReversePath(ev.ReturnPath) // checked by Validate

	var d Decision
	sc := p.getScratch(ev.Original, p.readsTraceFields(&ev))
	defer p.putScratch(sc)
	sc.spool.ctx = ctx
	reported, err := p.decide(ctx, &ev, &sc.orig, &d)
	if err != nil {
		return Decision{}, err
	}
	notice, suppressed, err := p.limit(ctx, &ev, &d)
	if err != nil {
		return Decision{}, err
	}
	if err := p.attach(&ev, sc, reported, notice, suppressed, &d); err != nil {
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

// attach composes what the decision sends: the DSN for a bounce, the
// postmaster notice for a drop when notice, telling of the suppressed
// notices before it.
func (p *Policy) attach(ev *Event, sc *scratch, reported []Delivery, notice bool, suppressed int64, d *Decision) error {
	var err error
	switch {
	case d.Action == Bounce:
		d.DSN, err = p.dsnFor(ev, sc, reported)
	case d.Action == Drop && notice:
		if len(reported) == 0 {
			reported = ev.Recipients // the notice covers what NOTIFY left out
		}
		d.Notice, err = p.noticeFor(ev, sc, reported, suppressed, d)
	}
	if err != nil {
		return fmt.Errorf("%w (decision: %s)", err, *d) // a copy: d itself stays off the heap
	}
	return nil
}
