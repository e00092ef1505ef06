package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/policy/internal/storetest"
	"github.com/bouncepolicy/bouncepolicy/policy/redisstore"
)

// advanceScript moves the expiry of KEYS[1] ARGV[1] ms closer, removing
// the key when that reaches it: the server's clock, moved for one key.
var advanceScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
if ttl <= tonumber(ARGV[1]) then
	redis.call('DEL', KEYS[1])
else
	redis.call('PEXPIRE', KEYS[1], ttl - tonumber(ARGV[1]))
end
return 1
`)

func TestContract(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	storetest.Run(t, func(t *testing.T) (policy.Store, func(time.Duration)) {
		p := prefix()
		advance := func(d time.Duration) {
			ctx := context.Background()
			iter := c.Scan(ctx, 0, p+"*", 100).Iterator()
			for iter.Next(ctx) {
				require.NoError(t, advanceScript.Run(ctx, c, []string{iter.Val()}, d.Milliseconds()).Err())
			}
			require.NoError(t, iter.Err())
		}
		return redisstore.New(c, p), advance
	})
}

// TestPrefix: keys live under the prefix, so stores with different
// prefixes do not meet.
func TestPrefix(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	ctx := context.Background()
	a, b := redisstore.New(c, "a:"), redisstore.New(c, "b:")
	for _, s := range []*redisstore.Store{a, b} {
		first, err := s.Claim(ctx, "k", time.Hour)
		require.NoError(t, err)
		assert.True(t, first)
	}
	ttl, err := c.PTTL(ctx, "a:k").Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour, ttl, float64(time.Minute), "SET PX gave the ttl")
	n, err := b.Count(ctx, "c", 90*time.Second)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	ttl, err = c.PTTL(ctx, "b:c").Result()
	require.NoError(t, err)
	assert.InDelta(t, 90*time.Second, ttl, float64(time.Minute), "the window's expiry")
}

// TestCountRestoresLostExpiry: a counter left without an expiry (by hand,
// or by a writer that crashed between INCR and PEXPIRE) gets one at its
// next count.
func TestCountRestoresLostExpiry(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "p:k", 5, 0).Err())
	n, err := redisstore.New(c, "p:").Count(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, int64(6), n)
	ttl, err := c.PTTL(ctx, "p:k").Result()
	require.NoError(t, err)
	assert.Positive(t, ttl)
}

// TestForeignValue: a key holding what is no counter is an error naming
// the operation, never a panic.
func TestForeignValue(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "p:k", "not a number", time.Hour).Err())
	s := redisstore.New(c, "p:")
	_, err := s.Count(ctx, "k", time.Hour)
	assert.ErrorContains(t, err, "redisstore: count:")
	_, err = s.Take(ctx, "k")
	assert.ErrorContains(t, err, "redisstore: take:")
}

// TestCluster: two hosts, each its own client and Store on one server,
// claim one key concurrently: exactly one is first, in every round.
func TestCluster(t *testing.T) {
	srv := startServer(t)
	hosts := []*redisstore.Store{redisstore.New(srv.client(), "mx:"), redisstore.New(srv.client(), "mx:")}
	const rounds, goroutines = 100, 16
	for round := range rounds {
		key := "vacation\x00bob@hosted.example\x00alice@example.org\x00" + strings.Repeat("r", round)
		var mu sync.Mutex
		var wins []int
		var errs []error
		var start, done sync.WaitGroup
		start.Add(1)
		for g := range goroutines {
			done.Go(func() {
				start.Wait()
				first, err := hosts[g%2].Claim(context.Background(), key, 7*24*time.Hour)
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
				if first {
					wins = append(wins, g%2)
				}
			})
		}
		start.Done()
		done.Wait()
		require.NoError(t, errors.Join(errs...))
		require.Len(t, wins, 1, "round %d: winners (by host) %v", round, wins)
	}
}

// TestOutage: a server that stops answering makes every call fail by the
// ctx's deadline, a server gone makes it fail at once, and once it is
// back the store works again.
func TestOutage(t *testing.T) {
	srv := startServer(t)
	s := redisstore.New(srv.client(), "p:")
	ctx := context.Background()
	first, err := s.Claim(ctx, "before", time.Hour)
	require.NoError(t, err)
	require.True(t, first)

	calls := []struct {
		op   string
		call func(ctx context.Context) error
	}{
		{"claim", func(ctx context.Context) error { _, err := s.Claim(ctx, "k", time.Hour); return err }},
		{"count", func(ctx context.Context) error { _, err := s.Count(ctx, "c", time.Hour); return err }},
		{"take", func(ctx context.Context) error { _, err := s.Take(ctx, "c"); return err }},
	}
	srv.pause()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := c.call(ctx)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "%s on a paused server: ctx bounds it", c.op)
		assert.ErrorContains(t, err, "redisstore: "+c.op+":")
	}
	srv.resume()
	srv.stop()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := c.call(ctx)
		cancel()
		assert.Error(t, err, "%s on a stopped server", c.op)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "%s fails at once on a refused connection", c.op)
	}
	srv.start()
	first, err = s.Claim(ctx, "after", time.Hour)
	require.NoError(t, err, "works again after the restart")
	assert.True(t, first)
}
