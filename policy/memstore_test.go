package policy_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/policy/internal/storetest"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (policy.Store, func(time.Duration)) {
		clock := newFakeClock()
		return &policy.MemoryStore{Now: clock.Now}, clock.Advance
	})
}

// TestMemoryStoreZeroValue: the zero value works on the real clock.
func TestMemoryStoreZeroValue(t *testing.T) {
	var s policy.MemoryStore
	ctx := context.Background()
	first, err := s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	assert.True(t, first)
	first, err = s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	assert.False(t, first)
	n, err := s.Take(ctx, "never")
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, 1, s.Len())
}

// key returns a key of n bytes, distinct for each i.
func key(i, n int) string {
	k := strconv.Itoa(i) + ":"
	for len(k) < n {
		k += "x"
	}
	return k
}

// TestMemoryStoreEvictsByBytes: the store holds what MaxBytes allows,
// counting key bytes, and forgets the least recently used first.
func TestMemoryStoreEvictsByBytes(t *testing.T) {
	const entry = 100 + 128 // key bytes + the overhead counted per entry
	tests := []struct {
		name     string
		maxBytes int64
		keyLen   int
		wantLen  int
	}{
		{"ten entries", 10 * entry, 100, 10},
		{"just under eleven", 11*entry - 1, 100, 10},
		{"longer keys, fewer entries", 10 * entry, 328, 5},
		{"one entry", entry, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &policy.MemoryStore{MaxBytes: tt.maxBytes, Now: newFakeClock().Now}
			ctx := context.Background()
			for i := range 3 * tt.wantLen {
				first, err := s.Claim(ctx, key(i, tt.keyLen), time.Hour)
				require.NoError(t, err)
				require.True(t, first)
				assert.LessOrEqual(t, s.Len(), tt.wantLen)
			}
			assert.Equal(t, tt.wantLen, s.Len())
			// The last wantLen are held, the earlier forgotten.
			n := 3 * tt.wantLen
			for i := n - tt.wantLen; i < n; i++ {
				first, err := s.Claim(ctx, key(i, tt.keyLen), time.Hour)
				require.NoError(t, err)
				assert.False(t, first, "key %d held", i)
			}
			first, err := s.Claim(ctx, key(n-tt.wantLen-1, tt.keyLen), time.Hour)
			require.NoError(t, err)
			assert.True(t, first, "key %d forgotten", n-tt.wantLen-1)
		})
	}
}

// TestMemoryStoreEvictsLeastRecentlyUsed: a use keeps an entry.
func TestMemoryStoreEvictsLeastRecentlyUsed(t *testing.T) {
	s := &policy.MemoryStore{MaxBytes: 3 * (1 + 128), Now: newFakeClock().Now}
	ctx := context.Background()
	claim := func(k string) bool {
		first, err := s.Claim(ctx, k, time.Hour)
		require.NoError(t, err)
		return first
	}
	for _, k := range []string{"a", "b", "c"} {
		require.True(t, claim(k))
	}
	_, err := s.Count(ctx, "a", time.Hour) // a is now the most recent
	require.NoError(t, err)
	require.False(t, claim("b")) // and then b
	require.True(t, claim("d"))  // c goes
	assert.False(t, claim("a"))
	assert.False(t, claim("b"))
	assert.True(t, claim("c"))
}

// TestMemoryStoreEvictsExpiredFirst: an expired entry goes before a live
// one, however recently it was used.
func TestMemoryStoreEvictsExpiredFirst(t *testing.T) {
	clock := newFakeClock()
	s := &policy.MemoryStore{MaxBytes: 3 * (1 + 128), Now: clock.Now}
	ctx := context.Background()
	claim := func(k string, ttl time.Duration) bool {
		first, err := s.Claim(ctx, k, ttl)
		require.NoError(t, err)
		return first
	}
	require.True(t, claim("a", 7*24*time.Hour)) // a vacation claim, least recent
	require.True(t, claim("b", time.Hour))
	require.True(t, claim("c", time.Minute)) // most recent, short
	clock.Advance(2 * time.Minute)
	require.True(t, claim("d", time.Hour)) // c, expired, goes; not a
	assert.Equal(t, 3, s.Len())
	assert.False(t, claim("a", time.Hour))
	assert.False(t, claim("b", time.Hour))
	assert.False(t, claim("d", time.Hour))
}

// TestMemoryStoreDropsExpiredLazily: expired entries do not pile up.
func TestMemoryStoreDropsExpiredLazily(t *testing.T) {
	clock := newFakeClock()
	s := &policy.MemoryStore{Now: clock.Now}
	ctx := context.Background()
	for i := range 100 {
		_, err := s.Count(ctx, key(i, 10), time.Minute)
		require.NoError(t, err)
	}
	require.Equal(t, 100, s.Len())
	clock.Advance(time.Minute)
	n, err := s.Take(ctx, key(0, 10))
	require.NoError(t, err)
	assert.Zero(t, n, "expired")
	assert.Equal(t, 99, s.Len(), "the expired entry looked up is dropped")
	_, err = s.Count(ctx, "new", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Len(), "an insertion drops every expired entry")
}

// TestMemoryStoreBounds: MaxBytes zero or negative is the default; a key
// the bound cannot hold is refused.
func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	for _, max := range []int64{0, -1} {
		s := &policy.MemoryStore{MaxBytes: max}
		_, err := s.Claim(ctx, string(make([]byte, 1<<20)), time.Hour)
		assert.NoError(t, err, "MaxBytes %d holds a 1 MiB key", max)
	}
	s := &policy.MemoryStore{MaxBytes: 200}
	_, err := s.Claim(ctx, string(make([]byte, 100)), time.Hour)
	assert.ErrorIs(t, err, policy.ErrStoreArgument)
	_, err = s.Count(ctx, string(make([]byte, 100)), time.Hour)
	assert.ErrorIs(t, err, policy.ErrStoreArgument)
	assert.Zero(t, s.Len())
}

// BenchmarkMemoryStoreClaim claims fresh keys (an insertion each, the
// store full and evicting) and a held key (a lookup).
func BenchmarkMemoryStoreClaim(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "vacation\x00bob@hosted.example\x00" + strconv.Itoa(i) + "@example.org"
	}
	ctx := context.Background()
	b.Run("fresh", func(b *testing.B) {
		s := &policy.MemoryStore{MaxBytes: 1 << 20}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Claim(ctx, keys[i%len(keys)], time.Hour); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("held", func(b *testing.B) {
		var s policy.MemoryStore
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Claim(ctx, keys[0], time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var s policy.MemoryStore
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := s.Claim(ctx, keys[i%len(keys)], time.Hour); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}
