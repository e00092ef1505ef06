package policy

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrStoreArgument is wrapped by a Store's errors for a call it refuses
// whatever its state: a ttl or window that is not positive, or a key
// larger than the store can hold.
var ErrStoreArgument = errors.New("policy: invalid store argument")

// CheckStoreDuration refuses a ttl or window that is not positive, for
// Store implementations: a record that expires at once would let every
// claim be first. op names the Store method.
func CheckStoreDuration(op string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: %s: duration %v is not positive", ErrStoreArgument, op, d)
	}
	return nil
}

// Store is the memory behind the once-per-period rule of DecideReply and
// the rate limits of Decide: it remembers claims and counts events per
// key. Keys are opaque to the store. Durations run on the store's own
// clock, so that hosts sharing one store agree.
//
// Every method is safe for concurrent use, also across processes sharing
// the store's backend. Claims and counters share one key space: a claim
// is a counter at one. The ttl of Claim and the window of Count must be
// positive (errors wrap ErrStoreArgument). An error means the store could
// not answer: the caller then defers, and never decides blind.
type Store interface {
	// Claim records key for ttl unless it is already recorded, and
	// reports whether this call recorded it: of any number of concurrent
	// claims on one key, exactly one is first until the record expires.
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	// Count adds one to the counter of key in its current window and
	// returns the counter after the increment. A window opens with the
	// first count on key and lasts for window; the counter then starts
	// again from zero.
	Count(ctx context.Context, key string, window time.Duration) (n int64, err error)
	// Take returns the counter of key, zero when there is none, and
	// removes it, in one step: a count made concurrently is either in n
	// or left for the next Take.
	Take(ctx context.Context, key string) (n int64, err error)
}
