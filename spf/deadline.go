package spf

import (
	"context"
	"sync"
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
	start           sync.Once
	timed           atomic.Pointer[timedContext]
	stopped         atomic.Bool
}

// timedContext is the real deadline context, once started.
type timedContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *lazyDeadline) Done() <-chan struct{} {
	c.start.Do(func() {
		ctx, cancel := context.WithDeadline(c.Context, c.deadline)
		c.timed.Store(&timedContext{ctx, cancel})
	})
	if t := c.timed.Load(); t != nil {
		return t.ctx.Done()
	}
	return closedChan // stopped before anyone waited
}

// closedChan is the Done channel of a stopped lazyDeadline.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (c *lazyDeadline) Err() error {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Err()
	}
	if c.stopped.Load() {
		return context.Canceled
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// stop releases the timer, if it started.
func (c *lazyDeadline) stop() {
	c.stopped.Store(true)
	c.start.Do(func() {}) // no timer can start after this
	if t := c.timed.Load(); t != nil {
		t.cancel()
	}
}
