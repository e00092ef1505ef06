// Package redisstore is a policy.Store on Redis or Valkey, for MX hosts
// that share their vacation claims and rate limits: every operation is
// one atomic command or script on the server, and durations run on the
// server's clock.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bouncepolicy/bouncepolicy/policy"
)

// Store is a policy.Store on a Redis client. It is safe for concurrent
// use, by as many hosts as share the server.
//
// Each call is bounded by its ctx when the client's options set
// ContextTimeoutEnabled, and by the client's ReadTimeout and WriteTimeout
// otherwise: set it, so that a server that stops answering costs a
// decision no more than its deadline. A server that cannot answer gives
// an error naming the operation, on which the policy defers.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ policy.Store = (*Store)(nil)

// New returns a Store keeping its keys under prefix (such as
// "bouncepolicy:") on client.
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix}
}

// countScript increments KEYS[1] and gives it the expiry ARGV[1], in
// milliseconds, when it has none: the first count of a window, or a key
// whose expiry was lost. One script, so that no crash between INCR and
// PEXPIRE leaves a counter that never expires.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// Claim implements policy.Store with SET key 1 NX PX ttl.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.check(ctx, "claim", ttl); err != nil {
		return false, err
	}
	first, err := s.client.SetNX(ctx, s.prefix+key, 1, roundUpMs(ttl)).Result()
	if err != nil {
		return false, opError(ctx, "claim", err)
	}
	return first, nil
}

// Count implements policy.Store with INCR, and PEXPIRE on a window's
// first count, in one script.
func (s *Store) Count(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := s.check(ctx, "count", window); err != nil {
		return 0, err
	}
	n, err := countScript.Run(ctx, s.client, []string{s.prefix + key}, roundUpMs(window).Milliseconds()).Int64()
	if err != nil {
		return 0, opError(ctx, "count", err)
	}
	return n, nil
}

// Take implements policy.Store with GETDEL (Redis 6.2 or later).
func (s *Store) Take(ctx context.Context, key string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("redisstore: take: %w", err)
	}
	n, err := s.client.GetDel(ctx, s.prefix+key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, opError(ctx, "take", err)
	}
	return n, nil
}

// opError names the operation that failed, and ctx's error when ctx
// ended: the client reports the deadline it set on the connection from
// ctx as an i/o timeout, at times a moment before ctx's own timer fires.
func opError(ctx context.Context, op string, err error) error {
	ctxErr := ctx.Err()
	if deadline, ok := ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(deadline) {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("redisstore: %s: %w (%w)", op, err, ctxErr)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

func (s *Store) check(ctx context.Context, op string, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return policy.CheckStoreDuration(op, d)
}

// roundUpMs rounds d up to whole milliseconds, the unit of PX and PEXPIRE:
// a claim never expires before its ttl.
func roundUpMs(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
