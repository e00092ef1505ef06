package spf

import (
	"context"
	"sync/atomic"
	"time"
)

// lazyDeadline is a context with a deadline whose timer only starts when
// something waits on Done. A check against a fast resolver (a zone, a warm
// cache) ends without anyone waiting, and a runtime timer would cost about
// as much as the rest of such a check; until then, Err compares the clock.
type lazyDeadline struct {
	context.Context // the parent
	deadline        time.Time
	// timed is nil until the timer starts, or stoppedDeadline when the
	// check ended first; one atomic word keeps both transitions cheap.
	timed atomic.Pointer[timedContext]
}

// timedContext is the real deadline context, once started.
type timedContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// stoppedDeadline stands for the timer of a lazyDeadline that has stopped:
// its context is canceled, so Done is closed and Err is context.Canceled.
var stoppedDeadline = func() *timedContext {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return &timedContext{ctx, cancel}
}()

func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *lazyDeadline) Done() <-chan struct{} {
	t := c.timed.Load()
	if t == nil {
		ctx, cancel := context.WithDeadline(c.Context, c.deadline)
		t = &timedContext{ctx, cancel}
		if !c.timed.CompareAndSwap(nil, t) {
			cancel() // another caller started one first, or the check ended
			t = c.timed.Load()
		}
	}
	return t.ctx.Done()
}

func (c *lazyDeadline) Err() error {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	// The deadline has a monotonic reading, so Until reads only that
	// clock, at half the cost of time.Now.
	if time.Until(c.deadline) <= 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// stop releases the timer, if it started; no timer starts after this.
func (c *lazyDeadline) stop() {
	if !c.timed.CompareAndSwap(nil, stoppedDeadline) {
		c.timed.Load().cancel()
	}
}
