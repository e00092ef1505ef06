package resolver_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// fakeClock is a clock that moves only when told.
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

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cachedLoopback returns a Cache in front of a Network asking a
// loopback server for resolverTestZone, and the server's query counter.
func cachedLoopback(t *testing.T, opts resolver.CacheOptions) (*resolver.Cache, *countingHandler) {
	z := servedResolverTestZone(t)
	z.Inject("broken.example.com", spftest.ServFail)
	h := &countingHandler{h: z}
	r := &resolver.Network{Servers: []string{spftest.Serve(t, h)}, Timeout: time.Second}
	return resolver.NewCache(r, opts), h
}

// RFC 1035 §3.2.1: an answer may be reused for its TTL (300 s in the zone).
func TestCacheRespectsTTL(t *testing.T) {
	clock := newFakeClock()
	c, h := cachedLoopback(t, resolver.CacheOptions{Now: clock.Now, DefaultTTL: time.Hour})
	ctx := context.Background()

	for _, step := range []struct {
		advance time.Duration
		queries int64
	}{
		{0, 1},                 // asked
		{0, 1},                 // kept
		{299 * time.Second, 1}, // still within the TTL
		{2 * time.Second, 2},   // expired: asked again
		{0, 2},
	} {
		clock.advance(step.advance)
		txt, err := c.LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 mx -all"}, txt)
		assert.Equal(t, step.queries, h.n.Load(), "after %v", step.advance)
	}

	// LookupIPAddr asks for A and AAAA, kept together.
	_, err := c.LookupIPAddr(ctx, "example.com")
	require.NoError(t, err)
	_, err = c.LookupIPAddr(ctx, "example.com")
	require.NoError(t, err)
	assert.Equal(t, int64(4), h.n.Load())
}

// RFC 2308 §5: a negative answer is kept for the SOA's negative TTL
// (min(300, 60) here), and never longer than NegativeTTL.
func TestCacheNegative(t *testing.T) {
	for _, tc := range []struct {
		name        string
		negativeTTL time.Duration
		kept        time.Duration
	}{
		{"RFC 2308 §5 SOA minimum", time.Hour, 60 * time.Second},
		{"NegativeTTL bound", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			c, h := cachedLoopback(t, resolver.CacheOptions{Now: clock.Now, NegativeTTL: tc.negativeTTL})
			for _, name := range []string{"missing.example.com", "mx1.example.com"} { // NXDOMAIN, no data
				before := h.n.Load()
				for range 2 {
					_, err := c.LookupTXT(context.Background(), name)
					assert.Equal(t, "notfound", lookupOutcome(t, err, name))
				}
				assert.Equal(t, before+1, h.n.Load(), "kept")
			}
			clock.advance(tc.kept - time.Second)
			_, err := c.LookupTXT(context.Background(), "missing.example.com")
			assert.Equal(t, "notfound", lookupOutcome(t, err, "missing.example.com"))
			assert.Equal(t, int64(2), h.n.Load(), "still kept")
			clock.advance(2 * time.Second)
			_, err = c.LookupTXT(context.Background(), "missing.example.com")
			assert.Equal(t, "notfound", lookupOutcome(t, err, "missing.example.com"))
			assert.Equal(t, int64(3), h.n.Load(), "expired")
		})
	}
}

func TestCacheSkipsTemporaryErrors(t *testing.T) {
	c, h := cachedLoopback(t, resolver.CacheOptions{})
	for range 3 {
		_, err := c.LookupTXT(context.Background(), "broken.example.com")
		assert.Equal(t, "temporary", lookupOutcome(t, err, "broken.example.com"))
	}
	assert.Equal(t, int64(3), h.n.Load())
}

// countingResolver is a plain Resolver (no TTLs) that counts its calls and
// can hold them until released.
type countingResolver struct {
	calls      atomic.Int64
	release    chan struct{} // nil: answer at once
	err        error
	panicFirst bool // the first LookupTXT panics, as a buggy resolver might
}

func (r *countingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	n := r.calls.Add(1)
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return nil, &net.DNSError{Err: "canceled", Name: name, IsTemporary: true}
		}
	}
	if r.panicFirst && n == 1 {
		panic("resolver bug")
	}
	if r.err != nil {
		return nil, r.err
	}
	return []string{"txt for " + name}, nil
}

func (r *countingResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	r.calls.Add(1)
	return []*net.MX{{Host: "mx." + name + ".", Pref: 10}}, nil
}

func (r *countingResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	r.calls.Add(1)
	return []net.IPAddr{{IP: net.IPv4(192, 0, 2, 1)}}, nil
}

func (r *countingResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	r.calls.Add(1)
	return []string{"host.example."}, nil
}

// A resolver that gives no TTL (as *net.Resolver) has answers kept for
// DefaultTTL.
func TestCacheDefaultTTL(t *testing.T) {
	clock := newFakeClock()
	r := &countingResolver{}
	c := resolver.NewCache(r, resolver.CacheOptions{Now: clock.Now, DefaultTTL: time.Minute})
	ctx := context.Background()
	lookupAll := func() {
		_, err := c.LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		_, err = c.LookupMX(ctx, "example.com")
		require.NoError(t, err)
		_, err = c.LookupIPAddr(ctx, "example.com")
		require.NoError(t, err)
		_, err = c.LookupAddr(ctx, "192.0.2.1")
		require.NoError(t, err)
	}
	lookupAll()
	lookupAll()
	assert.Equal(t, int64(4), r.calls.Load())
	clock.advance(time.Minute)
	lookupAll()
	assert.Equal(t, int64(8), r.calls.Load())
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	r := &countingResolver{}
	c := resolver.NewCache(r, resolver.CacheOptions{MaxEntries: 2})
	ctx := context.Background()
	for _, step := range []struct {
		name  string
		calls int64
	}{
		{"a", 1}, {"b", 2}, {"a", 2}, // a is now the most recent
		{"c", 3},           // b goes
		{"a", 3}, {"c", 3}, // kept
		{"b", 4}, // asked again
	} {
		txt, err := c.LookupTXT(ctx, step.name)
		require.NoError(t, err)
		assert.Equal(t, []string{"txt for " + step.name}, txt)
		assert.Equal(t, step.calls, r.calls.Load(), "after %s", step.name)
	}
}

func TestCacheReturnsCallersCopies(t *testing.T) {
	c := resolver.NewCache(&countingResolver{}, resolver.CacheOptions{})
	ctx := context.Background()
	txt, err := c.LookupTXT(ctx, "example.com")
	require.NoError(t, err)
	txt[0] = "changed"
	mx, err := c.LookupMX(ctx, "example.com")
	require.NoError(t, err)
	mx[0].Host = "changed"
	txt, _ = c.LookupTXT(ctx, "example.com")
	mx, _ = c.LookupMX(ctx, "example.com")
	assert.Equal(t, []string{"txt for example.com"}, txt)
	assert.Equal(t, "mx.example.com.", mx[0].Host)
}

// waitForWaiters waits until n goroutines are blocked in a Cache lookup's
// select, waiting for another's query (not making it).
func waitForWaiters(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for range 1000 {
		stacks := string(buf[:runtime.Stack(buf, true)])
		waiting := 0
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "[select") && strings.Contains(g, "resolver.(*Cache).lookup") && !strings.Contains(g, "resolver.(*Cache).fly") {
				waiting++
			}
		}
		if waiting >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d lookups waiting", n)
}

// Concurrent identical lookups share one query, even when its answer (a
// temporary failure) is not kept.
func TestCacheCollapsesConcurrentLookups(t *testing.T) {
	r := &countingResolver{release: make(chan struct{}), err: &net.DNSError{Err: "SERVFAIL", Name: "example.com", IsTemporary: true}}
	c := resolver.NewCache(r, resolver.CacheOptions{})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = c.LookupTXT(context.Background(), "example.com") })
	}
	waitForWaiters(t, n-1)
	close(r.release)
	wg.Wait()
	assert.Equal(t, int64(1), r.calls.Load())
	for _, err := range errs {
		assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"))
	}
}

// A waiter whose context ends stops waiting at once; when the caller that
// made the query gives up, a waiter with time left asks again.
func TestCacheWaitersAndCancellation(t *testing.T) {
	r := &countingResolver{release: make(chan struct{})}
	c := resolver.NewCache(r, resolver.CacheOptions{})

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() {
		_, err := c.LookupTXT(leaderCtx, "example.com")
		leaderErr <- err
	}()
	for r.calls.Load() == 0 {
		runtime.Gosched()
	}
	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	impatientErr := make(chan error)
	go func() {
		_, err := c.LookupTXT(waiterCtx, "example.com")
		impatientErr <- err
	}()
	patient := make(chan []string)
	go func() {
		txt, _ := c.LookupTXT(context.Background(), "example.com")
		patient <- txt
	}()
	waitForWaiters(t, 2)

	cancelWaiter()
	assert.Equal(t, "temporary", lookupOutcome(t, <-impatientErr, "example.com"))
	cancelLeader()
	assert.Equal(t, "temporary", lookupOutcome(t, <-leaderErr, "example.com"))
	close(r.release) // the patient waiter's own query now succeeds
	assert.Equal(t, []string{"txt for example.com"}, <-patient)
	assert.Equal(t, int64(2), r.calls.Load())
}

// A resolver that panics strands no waiter: it asks again.
func TestCacheSurvivesPanickingResolver(t *testing.T) {
	r := &countingResolver{release: make(chan struct{}), panicFirst: true}
	c := resolver.NewCache(r, resolver.CacheOptions{})
	ctx := context.Background()
	leader := make(chan any)
	go func() {
		defer func() { leader <- recover() }()
		_, _ = c.LookupTXT(ctx, "example.com")
	}()
	for r.calls.Load() == 0 {
		runtime.Gosched()
	}
	waiter := make(chan []string)
	go func() {
		txt, _ := c.LookupTXT(ctx, "example.com")
		waiter <- txt
	}()
	waitForWaiters(t, 1)
	close(r.release)
	assert.Equal(t, "resolver bug", <-leader)
	assert.Equal(t, []string{"txt for example.com"}, <-waiter)
	assert.Equal(t, int64(2), r.calls.Load())
}

// Many goroutines on a few names: run with -race.
func TestCacheConcurrentUse(t *testing.T) {
	z := newResolverTestZone(t)
	c := resolver.NewCache(z, resolver.CacheOptions{MaxEntries: 4})
	names := []string{"example.com", "alias.example.com", "missing.example.com", "any.wild.example.com", "esc.example.com", "mx1.example.com"}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				name := names[(i+j)%len(names)]
				_, err := c.LookupTXT(context.Background(), name)
				if err != nil {
					assert.Equal(t, "notfound", lookupOutcome(t, err, name), fmt.Sprint(name))
				}
			}
		})
	}
	wg.Wait()
}

// A Cache gives what it keeps with the TTL left, so that a Cache in front
// of another keeps an answer no longer than the first would (RFC 1035
// §3.2.1).
func TestCacheStacked(t *testing.T) {
	clock := newFakeClock()
	inner, h := cachedLoopback(t, resolver.CacheOptions{Now: clock.Now})
	outer := resolver.NewCache(inner, resolver.CacheOptions{Now: clock.Now, DefaultTTL: time.Hour})
	ctx := context.Background()

	_, err := inner.LookupTXT(ctx, "example.com") // kept until 300 s
	require.NoError(t, err)
	clock.advance(200 * time.Second)
	_, err = outer.LookupTXT(ctx, "example.com") // kept for the 100 s left
	require.NoError(t, err)
	clock.advance(99 * time.Second)
	_, err = outer.LookupTXT(ctx, "example.com")
	require.NoError(t, err)
	assert.Equal(t, int64(1), h.n.Load())
	clock.advance(2 * time.Second)
	_, err = outer.LookupTXT(ctx, "example.com")
	require.NoError(t, err)
	assert.Equal(t, int64(2), h.n.Load(), "both expired")
}

// rawTTLServer answers every query with edit's records and counts the
// queries.
func rawTTLServer(t *testing.T, edit func(q dns.Question, m *dns.Msg)) (*resolver.Network, *atomic.Int64) {
	var n atomic.Int64
	s := startRawServer(t, func(req *dns.Msg) [][]byte {
		n.Add(1)
		return [][]byte{rawReply(req, func(m *dns.Msg) { edit(req.Question[0], m) })}
	}, nil)
	t.Cleanup(s.close)
	return &resolver.Network{Servers: []string{s.addr()}, Timeout: time.Second}, &n
}

// RFC 2181 §8: a TTL with its top bit set counts as zero; and no answer
// is kept longer than CacheOptions.MaxTTL (RFC 8767 §4).
func TestCacheSanitisesAndCapsTTL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ttl    uint32
		maxTTL time.Duration
		kept   time.Duration // 0: not kept at all
	}{
		{"RFC 2181 §8 top bit set", 0xFFFFFFF0, 0, 0},
		{"default cap of a day", 1 << 30, 0, 24 * time.Hour},
		{"MaxTTL", 3600, time.Minute, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, n := rawTTLServer(t, func(q dns.Question, m *dns.Msg) {
				m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: tc.ttl}, Txt: []string{"v=spf1 -all"}}}
			})
			clock := newFakeClock()
			c := resolver.NewCache(r, resolver.CacheOptions{Now: clock.Now, MaxTTL: tc.maxTTL})
			lookup := func() {
				_, err := c.LookupTXT(context.Background(), "example.com")
				require.NoError(t, err)
			}
			lookup()
			if tc.kept > 0 {
				clock.advance(tc.kept - time.Second)
				lookup()
				assert.Equal(t, int64(1), n.Load(), "still kept")
				clock.advance(time.Second)
			}
			lookup()
			assert.Equal(t, int64(2), n.Load(), "expired")
		})
	}
}

// RFC 2308 §5: a negative answer reached through a CNAME is kept no longer
// than the CNAME's TTL, in the network and the zone resolver alike.
func TestCacheNegativeThroughCNAME(t *testing.T) {
	raw, rawQueries := rawTTLServer(t, func(q dns.Question, m *dns.Msg) {
		m.Rcode = dns.RcodeNameError
		m.Answer = []dns.RR{rawRR(q.Name + " 5 IN CNAME gone.other.")}
		m.Ns = []dns.RR{rawRR("other. 3600 IN SOA ns. h. 1 2 3 4 3600")}
	})
	z, err := spftest.NewZone(strings.NewReader(`
other. 3600 SOA ns. h. 1 2 3 4 3600
example.com. 5 CNAME gone.other.
`), ".")
	require.NoError(t, err)
	zone := &countingHandler{h: z}
	for name, tc := range map[string]struct {
		r spf.Resolver
		n func() int64
	}{
		"raw server": {raw, rawQueries.Load},
		"zone":       {&resolver.Network{Servers: []string{spftest.Serve(t, zone)}}, zone.n.Load},
	} {
		clock := newFakeClock()
		c := resolver.NewCache(tc.r, resolver.CacheOptions{Now: clock.Now, NegativeTTL: time.Hour})
		for range 2 {
			_, err := c.LookupTXT(context.Background(), "example.com")
			assert.Equal(t, "notfound", lookupOutcome(t, err, "example.com"), name)
		}
		assert.Equal(t, int64(1), tc.n(), "%s: kept", name)
		clock.advance(6 * time.Second)
		_, err := c.LookupTXT(context.Background(), "example.com")
		assert.Equal(t, "notfound", lookupOutcome(t, err, "example.com"), name)
		assert.Equal(t, int64(2), tc.n(), "%s: kept no longer than the CNAME", name)
	}
}

// RFC 4343: names differing in case or a final dot are one name, so the
// cache asks once for them all.
func TestCacheKeysOnCanonicalName(t *testing.T) {
	c, h := cachedLoopback(t, resolver.CacheOptions{})
	for _, name := range []string{"example.com", "EXAMPLE.com", "example.com.", `ex\097mple.com`} {
		txt, err := c.LookupTXT(context.Background(), name)
		require.NoError(t, err, name)
		assert.Equal(t, []string{"v=spf1 mx -all"}, txt, name)
	}
	assert.Equal(t, int64(1), h.n.Load())
}

// A zero Cache has no resolver to ask: every lookup fails with a bare,
// temporary *net.DNSError naming what was asked, and a check through it
// is temperror, never a panic.
func TestZeroCache(t *testing.T) {
	var c resolver.Cache
	ctx := context.Background()
	_, err := c.LookupTXT(ctx, "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"), "TXT")
	_, err = c.LookupMX(ctx, "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"), "MX")
	_, err = c.LookupIPAddr(ctx, "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"), "IP")
	_, err = c.LookupNetIP(ctx, "ip4", "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"), "A")
	_, err = c.LookupAddr(ctx, "192.0.2.1")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "192.0.2.1"), "PTR")

	v := (&spf.Checker{Resolver: &c}).Check(ctx, netip.MustParseAddr("192.0.2.1"), "mail.example.com", "alice@example.com")
	assert.Equal(t, spf.TempError, v.Result)
}
