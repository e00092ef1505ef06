// Package storetest is the contract of policy.Store, written once and run
// against every implementation.
package storetest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy"
)

// NewFunc returns an empty store for one test and a function that moves
// the store's clock forward by d: a fake clock, or expiries shortened by d
// where the clock is a server's.
type NewFunc func(t *testing.T) (s policy.Store, advance func(d time.Duration))

// Run runs the contract against the stores newStore makes.
func Run(t *testing.T, newStore NewFunc) {
	t.Run("Claim", func(t *testing.T) { testClaim(t, newStore) })
	t.Run("Count", func(t *testing.T) { testCount(t, newStore) })
	t.Run("Take", func(t *testing.T) { testTake(t, newStore) })
	t.Run("SharedKeys", func(t *testing.T) { testSharedKeys(t, newStore) })
	t.Run("OpaqueKeys", func(t *testing.T) { testOpaqueKeys(t, newStore) })
	t.Run("Refused", func(t *testing.T) { testRefused(t, newStore) })
	t.Run("ConcurrentClaim", func(t *testing.T) { testConcurrentClaim(t, newStore) })
	t.Run("ConcurrentCount", func(t *testing.T) { testConcurrentCount(t, newStore) })
	t.Run("ConcurrentTake", func(t *testing.T) { testConcurrentTake(t, newStore) })
}

// op is one store call and what it must return.
type op struct {
	advance time.Duration // first, the clock moves by this much
	call    string        // claim, count or take
	key     string
	d       time.Duration // ttl or window
	want    int64         // claim: 1 when first, else 0
}

func runOps(t *testing.T, newStore NewFunc, ops []op) {
	t.Helper()
	s, advance := newStore(t)
	ctx := context.Background()
	for i, o := range ops {
		if o.advance > 0 {
			advance(o.advance)
		}
		var got int64
		var err error
		switch o.call {
		case "claim":
			var first bool
			first, err = s.Claim(ctx, o.key, o.d)
			if first {
				got = 1
			}
		case "count":
			got, err = s.Count(ctx, o.key, o.d)
		case "take":
			got, err = s.Take(ctx, o.key)
		}
		require.NoError(t, err, "op %d: %s %q", i, o.call, o.key)
		assert.Equal(t, o.want, got, "op %d: %s %q after +%v", i, o.call, o.key, o.advance)
	}
}

func testClaim(t *testing.T, newStore NewFunc) {
	const h = time.Hour
	tests := []struct {
		name string
		ops  []op
	}{
		{"first then taken", []op{
			{call: "claim", key: "a", d: h, want: 1},
			{call: "claim", key: "a", d: h},
			{call: "claim", key: "b", d: h, want: 1},
		}},
		{"held until the ttl ends", []op{
			{call: "claim", key: "a", d: h, want: 1},
			{advance: h - time.Second, call: "claim", key: "a", d: h},
			{advance: 2 * time.Second, call: "claim", key: "a", d: h, want: 1},
			{call: "claim", key: "a", d: h},
		}},
		{"a refused claim keeps the first ttl", []op{
			{call: "claim", key: "a", d: h, want: 1},
			{advance: 30 * time.Minute, call: "claim", key: "a", d: 10 * h},
			{advance: 31 * time.Minute, call: "claim", key: "a", d: h, want: 1},
		}},
		{"each key its own ttl", []op{
			{call: "claim", key: "short", d: time.Minute, want: 1},
			{call: "claim", key: "long", d: h, want: 1},
			{advance: 2 * time.Minute, call: "claim", key: "short", d: h, want: 1},
			{call: "claim", key: "long", d: h},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOps(t, newStore, tt.ops) })
	}
}

func testCount(t *testing.T, newStore NewFunc) {
	const h = time.Hour
	tests := []struct {
		name string
		ops  []op
	}{
		{"counts up", []op{
			{call: "count", key: "a", d: h, want: 1},
			{call: "count", key: "a", d: h, want: 2},
			{call: "count", key: "b", d: h, want: 1},
			{call: "count", key: "a", d: h, want: 3},
		}},
		{"the window opens with the first count", []op{
			{call: "count", key: "a", d: h, want: 1},
			{advance: 40 * time.Minute, call: "count", key: "a", d: h, want: 2},
			{advance: 30 * time.Minute, call: "count", key: "a", d: h, want: 1},
			{advance: 59 * time.Minute, call: "count", key: "a", d: h, want: 2},
			{advance: 2 * time.Minute, call: "count", key: "a", d: h, want: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOps(t, newStore, tt.ops) })
	}
}

func testTake(t *testing.T, newStore NewFunc) {
	const h = time.Hour
	tests := []struct {
		name string
		ops  []op
	}{
		{"none is zero", []op{
			{call: "take", key: "a"},
		}},
		{"takes and removes", []op{
			{call: "count", key: "a", d: h, want: 1},
			{call: "count", key: "a", d: h, want: 2},
			{call: "take", key: "a", want: 2},
			{call: "take", key: "a"},
			{call: "count", key: "a", d: h, want: 1},
		}},
		{"an expired counter is zero", []op{
			{call: "count", key: "a", d: h, want: 1},
			{advance: h + time.Second, call: "take", key: "a"},
		}},
		{"other keys stay", []op{
			{call: "count", key: "a", d: h, want: 1},
			{call: "count", key: "b", d: h, want: 1},
			{call: "take", key: "a", want: 1},
			{call: "count", key: "b", d: h, want: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOps(t, newStore, tt.ops) })
	}
}

// testSharedKeys: a claim is a counter at one, in one key space.
func testSharedKeys(t *testing.T, newStore NewFunc) {
	const h = time.Hour
	runOps(t, newStore, []op{
		{call: "claim", key: "a", d: h, want: 1},
		{call: "count", key: "a", d: h, want: 2},
		{call: "take", key: "a", want: 2},
		{call: "claim", key: "a", d: h, want: 1},
		{call: "count", key: "b", d: h, want: 1},
		{call: "claim", key: "b", d: h},
	})
}

// testOpaqueKeys: any bytes make a key, and keys differing in one byte
// are distinct.
func testOpaqueKeys(t *testing.T, newStore NewFunc) {
	const h = time.Hour
	long := strings.Repeat("x", 1000)
	var ops []op
	for _, k := range []string{"", " ", "a\x00b", "a\r\nb", "\xff\xfe", "é", "*", "{x}", long, long + "y"} {
		ops = append(ops, op{call: "claim", key: k, d: h, want: 1})
	}
	for _, k := range []string{"", "a\x00b", long} {
		ops = append(ops, op{call: "claim", key: k, d: h})
	}
	runOps(t, newStore, ops)
}

// testRefused: a duration that is not positive and an ended context are
// errors, and change nothing.
func testRefused(t *testing.T, newStore NewFunc) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, d := range []time.Duration{0, -time.Second} {
		_, err := s.Claim(ctx, "a", d)
		assert.ErrorIs(t, err, policy.ErrStoreArgument, "claim ttl %v", d)
		_, err = s.Count(ctx, "a", d)
		assert.ErrorIs(t, err, policy.ErrStoreArgument, "count window %v", d)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Claim(canceled, "a", time.Hour)
	assert.ErrorIs(t, err, context.Canceled, "claim")
	_, err = s.Count(canceled, "a", time.Hour)
	assert.ErrorIs(t, err, context.Canceled, "count")
	_, err = s.Take(canceled, "a")
	assert.ErrorIs(t, err, context.Canceled, "take")

	first, err := s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	assert.True(t, first, "a refused call recorded nothing")
}

// parallel runs f(i) for i in [0, n) at once and waits for them all.
func parallel(n int, f func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			f(i)
		})
	}
	start.Done()
	done.Wait()
}

// testConcurrentClaim: of concurrent claims on one key, exactly one is
// first.
func testConcurrentClaim(t *testing.T, newStore NewFunc) {
	s, _ := newStore(t)
	const goroutines, rounds = 16, 50
	for round := range rounds {
		key := "k" + strconv.Itoa(round)
		var mu sync.Mutex
		var firsts int
		var errs []error
		parallel(goroutines, func(int) {
			first, err := s.Claim(context.Background(), key, time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if first {
				firsts++
			}
			errs = append(errs, err)
		})
		require.NoError(t, errors.Join(errs...))
		require.Equal(t, 1, firsts, "round %d", round)
	}
}

// testConcurrentCount: concurrent counts return each value once.
func testConcurrentCount(t *testing.T, newStore NewFunc) {
	s, _ := newStore(t)
	const n = 64
	got := make([]int64, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		got[i], errs[i] = s.Count(context.Background(), "c", time.Hour)
	})
	require.NoError(t, errors.Join(errs...))
	seen := make(map[int64]bool)
	for _, v := range got {
		seen[v] = true
	}
	for v := int64(1); v <= n; v++ {
		assert.True(t, seen[v], "count %d returned", v)
	}
}

// testConcurrentTake: with counts and takes interleaved, every count is
// taken exactly once.
func testConcurrentTake(t *testing.T, newStore NewFunc) {
	s, _ := newStore(t)
	const counters, takers, perCounter = 8, 4, 25
	var taken [takers]int64
	errs := make([]error, counters+takers)
	parallel(counters+takers, func(i int) {
		ctx := context.Background()
		for range perCounter {
			if i < counters {
				_, err := s.Count(ctx, "t", time.Hour)
				errs[i] = errors.Join(errs[i], err)
				continue
			}
			n, err := s.Take(ctx, "t")
			taken[i-counters] += n
			errs[i] = errors.Join(errs[i], err)
		}
	})
	require.NoError(t, errors.Join(errs...))
	rest, err := s.Take(context.Background(), "t")
	require.NoError(t, err)
	total := rest
	for _, n := range taken {
		total += n
	}
	assert.Equal(t, int64(counters*perCounter), total)
}
