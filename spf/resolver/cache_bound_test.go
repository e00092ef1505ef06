package resolver_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// wildcardTXTZone is a hostile zone: every name under attacker.example has
// a TXT record of chunks×255 octets, nearly all one DNS message can carry
// when chunks is 250 (RFC 1035 §4.2.2).
func wildcardTXTZone(chunks int) string {
	chunk := ` "` + strings.Repeat("x", 255) + `"`
	return "@ SOA ns hostmaster 1 7200 900 1209600 60\n* TXT" + strings.Repeat(chunk, chunks) + "\n"
}

// newWildcardTXTZone returns wildcardTXTZone as a Zone.
func newWildcardTXTZone(t testing.TB, chunks int) *resolver.Zone {
	t.Helper()
	z, err := resolver.NewZone(strings.NewReader(wildcardTXTZone(chunks)), "attacker.example")
	require.NoError(t, err)
	return z
}

// heapInUse returns the bytes of live heap objects, after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// A wildcard zone answering each of 2048 names with 64 KB of TXT data
// (128 MB in all) through a recursive server: the cache keeps to its
// MaxBytes, by its accounting and in the heap measured.
func TestCacheBoundedUnderWildcardAttack(t *testing.T) {
	const maxBytes, names = 4 << 20, 2048
	const slack = 1 << 20 // the map's spare room, what the accounting leaves out
	z, err := spftest.NewZone(strings.NewReader(wildcardTXTZone(250)), "attacker.example")
	require.NoError(t, err)
	r := &resolver.Network{Servers: []string{spftest.Serve(t, z)}, Timeout: 5 * time.Second}
	c := resolver.NewCache(r, resolver.CacheOptions{MaxBytes: maxBytes})
	ctx := context.Background()

	base := heapInUse()
	var fetched, maxAccounted int
	var maxGrowth int64
	for i := range names {
		name := fmt.Sprintf("n%d.attacker.example", i)
		txt, err := c.LookupTXT(ctx, name)
		require.NoError(t, err, name)
		require.Len(t, txt, 1)
		require.Len(t, txt[0], 250*255)
		fetched += len(txt[0])
		maxAccounted = max(maxAccounted, resolver.CacheBytes(c))
		require.LessOrEqual(t, resolver.CacheBytes(c), maxBytes, "after %d names", i+1)
		if i%128 == 127 {
			maxGrowth = max(maxGrowth, heapInUse()-base)
		}
	}
	t.Logf("fetched %d bytes of TXT; cache accounted at most %d bytes (bound %d); heap grew at most %d bytes",
		fetched, maxAccounted, maxBytes, maxGrowth)
	assert.Greater(t, maxAccounted, maxBytes-maxBytes/32, "the cache is used up to its bound")
	assert.LessOrEqual(t, maxGrowth, int64(maxBytes+slack), "heap growth")
	runtime.KeepAlive(c)
}

// With CacheOptions.MaxBytes zero, the cache keeps up to 32 MiB.
func TestCacheDefaultMaxBytes(t *testing.T) {
	const defaultMaxBytes = 32 << 20
	c := resolver.NewCache(newWildcardTXTZone(t, 250), resolver.CacheOptions{})
	ctx := context.Background()
	maxAccounted := 0
	for i := range 1024 { // 64 MB
		_, err := c.LookupTXT(ctx, fmt.Sprintf("n%d.attacker.example", i))
		require.NoError(t, err)
		maxAccounted = max(maxAccounted, resolver.CacheBytes(c))
	}
	assert.LessOrEqual(t, maxAccounted, defaultMaxBytes)
	assert.Greater(t, maxAccounted, defaultMaxBytes-64<<10, "within one answer of 32 MiB")
}

// An answer larger than a 64th of MaxBytes is returned, every time, but
// not kept; smaller ones are.
func TestCacheKeepsNoOversizedAnswer(t *testing.T) {
	const maxBytes = 1 << 20 // answers up to 16 KiB are kept
	ctx := context.Background()
	for _, tc := range []struct {
		chunks int
		kept   bool
	}{
		{60, true},   // 15300 octets
		{70, false},  // 17850 octets
		{250, false}, // 63750 octets
	} {
		c := resolver.NewCache(newWildcardTXTZone(t, tc.chunks), resolver.CacheOptions{MaxBytes: maxBytes})
		for range 2 {
			txt, err := c.LookupTXT(ctx, "big.attacker.example")
			require.NoError(t, err)
			require.Len(t, txt, 1)
			assert.Len(t, txt[0], tc.chunks*255)
		}
		assert.Equal(t, tc.kept, resolver.CacheBytes(c) > 0, "%d octets kept", tc.chunks*255)
	}
}
