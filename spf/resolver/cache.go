package resolver

import (
	"container/list"
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/internal/dnsdata"
)

// CacheOptions configures a Cache. The zero value gives the defaults.
type CacheOptions struct {
	// MaxEntries bounds the number of answers kept; the least recently
	// used goes first. Zero means 10000.
	MaxEntries int
	// MaxBytes bounds, approximately, the memory the kept answers take:
	// their names, strings, addresses and bookkeeping. The least recently
	// used go first; an answer that alone would take more than a 64th of
	// MaxBytes is returned but not kept. Zero means 32 MiB.
	MaxBytes int
	// DefaultTTL is how long an answer is kept when the wrapped resolver
	// does not give its TTL (as *net.Resolver does not). Zero means 5
	// minutes.
	DefaultTTL time.Duration
	// NegativeTTL bounds how long a "not found" answer is kept; the SOA's
	// negative TTL, when known, may shorten it (RFC 2308 §5). Zero means
	// 5 minutes.
	NegativeTTL time.Duration
	// MaxTTL bounds how long any answer is kept, whatever its TTL says
	// (RFC 8767 §4 suggests a cap). Zero means one day.
	MaxTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// A Cache is an spf.Resolver that keeps the answers of another for as long
// as their TTLs allow, when the resolver gives them (this package's
// resolvers do), else for CacheOptions.DefaultTTL. "Not found" answers are
// kept for a bounded time; temporary failures are not kept. What is kept is
// bounded in entries and in bytes. Concurrent identical lookups share one
// query to the wrapped resolver. A Cache is safe for concurrent use; the
// slices it returns are the caller's. Make one with NewCache: the zero
// value has no resolver to ask, and fails every lookup with a temporary
// *net.DNSError.
type Cache struct {
	r    spf.Resolver
	opts CacheOptions

	mu      sync.Mutex
	entries map[lookupQuery]*list.Element // of *cacheEntry
	lru     *list.List                    // most recently used first
	bytes   int                           // the sum of the entries' sizes
	flights map[lookupQuery]*flight
}

// A cacheEntry is a kept answer, positive or "not found".
type cacheEntry struct {
	q       lookupQuery
	a       lookupAnswer
	err     *net.DNSError
	expires time.Time
	size    int // what it accounts for in Cache.bytes
}

// maxEntryShare bounds what one answer may take of CacheOptions.MaxBytes:
// an answer larger than a 64th is not kept, so that one hostile answer
// (a wildcard zone answering every name with 64 KB, say) pushes out at most
// that share of the others. At the default 32 MiB the limit is 512 KiB:
// eight times the largest TXT answer one DNS message can carry (65535
// octets over TCP, RFC 1035 §4.2.2), and more than A and AAAA answers
// filling two such messages take, so no genuine answer goes unkept.
const maxEntryShare = 64

// A flight is a query to the wrapped resolver that other callers wait for.
type flight struct {
	done chan struct{}
	a    lookupAnswer
	err  error
	// abandoned is set when the query failed after the caller that made
	// it gave up (its context ended), or panicked, so waiters with time
	// left ask again.
	abandoned bool
}

// NewCache returns a Cache in front of r.
func NewCache(r spf.Resolver, opts CacheOptions) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 10000
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 32 << 20
	}
	if opts.DefaultTTL <= 0 {
		opts.DefaultTTL = 5 * time.Minute
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = 5 * time.Minute
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = 24 * time.Hour
	}
	return &Cache{
		r:       r,
		opts:    opts,
		entries: make(map[lookupQuery]*list.Element),
		lru:     list.New(),
		flights: make(map[lookupQuery]*flight),
	}
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (c *Cache) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := c.answer(ctx, lookupQuery{queryTXT, name})
	return a.txt, err
}

// LookupMX returns the MX records of name, sorted by preference.
func (c *Cache) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := c.answer(ctx, lookupQuery{queryMX, name})
	return a.mx, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (c *Cache) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	a, err := c.answer(ctx, lookupQuery{queryIP, host})
	return a.ips, err
}

// LookupNetIP returns the addresses of host: network "ip4" asks for its A
// records only, "ip6" for its AAAA records only, "ip" for both. A wrapped
// resolver without LookupNetIP is asked for both and the answer filtered.
func (c *Cache) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return lookupNetIP(ctx, c, network, host)
}

// LookupAddr returns the names an address maps to (its PTR records).
func (c *Cache) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := c.answer(ctx, lookupQuery{queryPTR, addr})
	return a.names, err
}

// answer returns the answer to q as the caller's own, to change at will.
func (c *Cache) answer(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	a, err := c.lookup(ctx, q)
	return a.clone(), err
}

// lookup implements ttlResolver: a kept answer carries its remaining TTL,
// so that caches can be stacked. Its slices are those kept, to read only;
// its error is the caller's.
func (c *Cache) lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	if c.r == nil {
		// A zero Cache, not made by NewCache: nothing to ask, and no
		// maps to keep answers in.
		return lookupAnswer{}, dnsdata.Temporary(q.name, "no resolver to ask: a Cache is made by NewCache")
	}
	q = q.canonical()
	for {
		c.mu.Lock()
		if a, ok, err := c.kept(q); ok {
			c.mu.Unlock()
			return a, err
		}
		f, waiting := c.flights[q]
		if !waiting {
			f = &flight{done: make(chan struct{})}
			c.flights[q] = f
		}
		c.mu.Unlock()

		if !waiting {
			return c.fly(ctx, q, f)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return lookupAnswer{}, dnsdata.ContextError(ctx, q.name)
		}
		if !f.abandoned {
			return f.a, cloneErr(f.err)
		}
	}
}

// canonical returns the query with its name in one spelling, so that
// names differing only in case, escapes or a final dot share an answer
// (RFC 4343). Addresses stay as they are.
func (q lookupQuery) canonical() lookupQuery {
	if q.kind != queryPTR {
		q.name = dnsdata.Fold(q.name)
	}
	return q
}

// kept returns the answer kept for q, if it has not expired. c.mu is held.
func (c *Cache) kept(q lookupQuery) (lookupAnswer, bool, error) {
	el, ok := c.entries[q]
	if !ok {
		return lookupAnswer{}, false, nil
	}
	e := el.Value.(*cacheEntry)
	left := c.until(e.expires)
	if left <= 0 {
		c.remove(el)
		return lookupAnswer{}, false, nil
	}
	c.lru.MoveToFront(el)
	a := e.a
	a.ttl, a.hasTTL = left, true
	if e.err != nil {
		return a, true, cloneErr(e.err)
	}
	return a, true, nil
}

// fly asks the wrapped resolver for q on behalf of every caller waiting on
// f, and keeps the answer when it may be kept.
func (c *Cache) fly(ctx context.Context, q lookupQuery, f *flight) (lookupAnswer, error) {
	f.abandoned = true // until the resolver returns: should it panic, waiters ask again
	defer func() {
		c.mu.Lock()
		delete(c.flights, q)
		c.mu.Unlock()
		close(f.done)
	}()
	f.a, f.err = c.fetch(ctx, q)
	ttl, keep := c.ttlFor(f.a, f.err)
	if keep {
		c.mu.Lock()
		c.keep(q, f.a, f.err, ttl)
		c.mu.Unlock()
	}
	// A failure after the caller gave up says nothing about the name.
	f.abandoned = !keep && ctx.Err() != nil
	return f.a, cloneErr(f.err)
}

// fetch asks the wrapped resolver.
func (c *Cache) fetch(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	if tr, ok := c.r.(ttlResolver); ok {
		return tr.lookup(ctx, q)
	}
	var a lookupAnswer
	var err error
	switch q.kind {
	case queryTXT:
		a.txt, err = c.r.LookupTXT(ctx, q.name)
	case queryMX:
		a.mx, err = c.r.LookupMX(ctx, q.name)
	case queryIP:
		a.ips, err = c.r.LookupIPAddr(ctx, q.name)
	case queryIP4, queryIP6:
		a.ips, err = spf.LookupFamily(ctx, c.r, q.kind == queryIP4, q.name)
	case queryPTR:
		a.names, err = c.r.LookupAddr(ctx, q.name)
	}
	return a, err
}

// ttlFor says how long an answer may be kept: positive answers for their
// TTL (or DefaultTTL), "not found" for at most NegativeTTL (RFC 2308 §5),
// neither for more than MaxTTL; temporary failures and other errors not at
// all.
func (c *Cache) ttlFor(a lookupAnswer, err error) (time.Duration, bool) {
	ttl := c.opts.DefaultTTL
	if err != nil {
		derr, ok := err.(*net.DNSError)
		if !ok || !derr.IsNotFound || derr.IsTemporary || derr.IsTimeout {
			return 0, false
		}
		ttl = c.opts.NegativeTTL
		if a.hasTTL {
			ttl = min(ttl, a.ttl)
		}
	} else if a.hasTTL {
		ttl = a.ttl
	}
	ttl = min(ttl, c.opts.MaxTTL)
	return ttl, ttl > 0
}

// keep stores an answer for ttl in place of any kept for q, and evicts the
// least recently used answers until no more than MaxEntries and MaxBytes
// are kept. An answer that alone would take more than its share of
// MaxBytes (maxEntryShare) is not stored; the one it replaces goes all
// the same. c.mu is held.
func (c *Cache) keep(q lookupQuery, a lookupAnswer, err error, ttl time.Duration) {
	if el, ok := c.entries[q]; ok {
		c.remove(el)
	}
	e := &cacheEntry{q: q, a: a, expires: c.now().Add(ttl)}
	e.err, _ = err.(*net.DNSError)
	e.size = e.footprint()
	if e.size > c.opts.MaxBytes/maxEntryShare {
		return
	}
	c.entries[q] = c.lru.PushFront(e)
	c.bytes += e.size
	for c.lru.Len() > c.opts.MaxEntries || c.bytes > c.opts.MaxBytes {
		c.remove(c.lru.Back())
	}
}

// remove forgets a kept answer. c.mu is held.
func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.q)
	c.bytes -= e.size
}

// now reads the clock.
func (c *Cache) now() time.Time {
	if c.opts.Now == nil {
		return time.Now()
	}
	return c.opts.Now()
}

// until returns how long is left before t. Without a clock of its own, the
// Cache reads only the monotonic clock, at half the cost of time.Now.
func (c *Cache) until(t time.Time) time.Duration {
	if c.opts.Now == nil {
		return time.Until(t)
	}
	return t.Sub(c.opts.Now())
}

// clone copies the slices of an answer, so that callers may change what
// they get without changing what is kept.
func (a lookupAnswer) clone() lookupAnswer {
	a.txt = slices.Clone(a.txt)
	a.ips = slices.Clone(a.ips)
	a.names = slices.Clone(a.names)
	if a.mx != nil {
		mx := make([]*net.MX, len(a.mx))
		for i, m := range a.mx {
			mx[i] = &net.MX{Host: m.Host, Pref: m.Pref}
		}
		a.mx = mx
	}
	return a
}

// cloneErr copies a *net.DNSError, so that callers may change what they
// get; it must stay a bare *net.DNSError for blitiri spf's type assertions.
func cloneErr(err error) error {
	if derr, ok := err.(*net.DNSError); ok {
		c := *derr
		return &c
	}
	return err
}
