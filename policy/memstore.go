package policy

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultMemoryStoreBytes is the bound of a MemoryStore whose MaxBytes is
// zero: some 100 000 claims of 40-octet keys, far more than the distinct
// senders a host answers within a vacation period.
const DefaultMemoryStoreBytes = 16 << 20

// memEntryOverhead is what a MemoryStore counts for an entry besides its
// key's bytes: the entry itself, its map slot and its heap slot, rounded up.
const memEntryOverhead = 128

// MemoryStore is the in-process Store: claims and counters live in this
// process only and are lost when it ends, so the Policies sharing one
// MemoryStore must run in one process. The zero value is ready to use.
// It is safe for concurrent use, and must not be copied after first use.
//
// It holds at most MaxBytes, counting each entry as its key's length plus
// a fixed overhead. Over the bound it drops expired entries first, then
// the least recently used ones: a dropped claim is forgotten early, so the
// bound must leave room for every sender answered within a period.
type MemoryStore struct {
	// MaxBytes bounds the memory held; zero or negative means
	// DefaultMemoryStoreBytes, since an unbounded store would let a
	// flood of forged senders take the host's memory.
	MaxBytes int64

	// Now is the clock, time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]*memEntry
	lru     memEntry  // sentinel of the recency list: lru.next is the most recent
	expiry  memExpiry // min-heap by expiry time
	bytes   int64

	// journal, when set, is told each change under mu: see FileStore.
	journal func(key string, n int64, expires time.Time) error
}

var _ Store = (*MemoryStore)(nil)

// memEntry is a claim or a counter: a claim counts one.
type memEntry struct {
	key        string
	n          int64
	expires    time.Time
	prev, next *memEntry // recency list
	index      int       // in the expiry heap
}

// Claim implements Store.
func (s *MemoryStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkStoreCall(ctx, "claim", ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e := s.live(key, now); e != nil {
		s.touch(e)
		return false, nil
	}
	if err := s.fits("claim", key); err != nil {
		return false, err
	}
	if err := s.record(key, 1, now.Add(ttl)); err != nil {
		return false, err
	}
	s.insert(key, 1, now.Add(ttl), now)
	return true, nil
}

// Count implements Store.
func (s *MemoryStore) Count(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := checkStoreCall(ctx, "count", window); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e := s.live(key, now); e != nil {
		if err := s.record(key, e.n+1, e.expires); err != nil {
			return 0, err
		}
		e.n++
		s.touch(e)
		return e.n, nil
	}
	if err := s.fits("count", key); err != nil {
		return 0, err
	}
	if err := s.record(key, 1, now.Add(window)); err != nil {
		return 0, err
	}
	s.insert(key, 1, now.Add(window), now)
	return 1, nil
}

// Take implements Store.
func (s *MemoryStore) Take(ctx context.Context, key string) (int64, error) {
	if err := storeCtxErr(ctx, "take"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(key, s.now())
	if e == nil {
		return 0, nil
	}
	if err := s.record(key, 0, time.Time{}); err != nil {
		return 0, err
	}
	s.remove(e)
	return e.n, nil
}

// Len returns the number of entries held, expired ones not yet dropped
// included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// checkStoreCall refuses an ended ctx and a duration that is not
// positive.
func checkStoreCall(ctx context.Context, op string, d time.Duration) error {
	if err := storeCtxErr(ctx, op); err != nil {
		return err
	}
	return CheckStoreDuration(op, d)
}

func storeCtxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("policy: store %s: %w", op, err)
	}
	return nil
}

func (s *MemoryStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *MemoryStore) maxBytes() int64 {
	if s.MaxBytes <= 0 {
		return DefaultMemoryStoreBytes
	}
	return s.MaxBytes
}

// live returns the unexpired entry of key, dropping an expired one.
func (s *MemoryStore) live(key string, now time.Time) *memEntry {
	e := s.entries[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		s.remove(e)
		return nil
	}
	return e
}

// fits refuses a key that alone exceeds the bound.
func (s *MemoryStore) fits(op, key string) error {
	if int64(len(key))+memEntryOverhead > s.maxBytes() {
		return fmt.Errorf("%w: %s: key of %d bytes over the memory store's bound of %d bytes", ErrStoreArgument, op, len(key), s.maxBytes())
	}
	return nil
}

// record hands the new state of key (n zero: removed) to the journal, if
// any, before the change is made: a change the journal cannot keep is
// not made, so that a caller deferring on the error finds the state it
// left.
func (s *MemoryStore) record(key string, n int64, expires time.Time) error {
	if s.journal == nil {
		return nil
	}
	return s.journal(key, n, expires)
}

// insert adds an entry for key, absent or dropped by live and checked by
// fits, and makes room for it.
func (s *MemoryStore) insert(key string, n int64, expires, now time.Time) {
	size := int64(len(key)) + memEntryOverhead
	if s.entries == nil {
		s.entries = make(map[string]*memEntry)
		s.lru.prev, s.lru.next = &s.lru, &s.lru
	}
	// Expired entries go first, however recently used: a live claim is
	// worth more than a spent one.
	for len(s.expiry) > 0 && !now.Before(s.expiry[0].expires) {
		s.remove(s.expiry[0])
	}
	for s.bytes+size > s.maxBytes() {
		s.remove(s.lru.prev)
	}
	e := &memEntry{key: key, n: n, expires: expires}
	s.entries[key] = e
	heap.Push(&s.expiry, e)
	s.link(e)
	s.bytes += size
}

// eachLive calls f for every unexpired entry, the least recently used
// first. s.mu must be held.
func (s *MemoryStore) eachLive(now time.Time, f func(key string, n int64, expires time.Time) error) error {
	if s.entries == nil {
		return nil
	}
	for e := s.lru.prev; e != &s.lru; e = e.prev {
		if now.Before(e.expires) {
			if err := f(e.key, e.n, e.expires); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *MemoryStore) remove(e *memEntry) {
	delete(s.entries, e.key)
	heap.Remove(&s.expiry, e.index)
	e.prev.next, e.next.prev = e.next, e.prev
	s.bytes -= int64(len(e.key)) + memEntryOverhead
}

// touch makes e the most recently used.
func (s *MemoryStore) touch(e *memEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	s.link(e)
}

// link puts e at the front of the recency list.
func (s *MemoryStore) link(e *memEntry) {
	e.prev, e.next = &s.lru, s.lru.next
	s.lru.next.prev = e
	s.lru.next = e
}

// memExpiry orders entries by expiry for container/heap.
type memExpiry []*memEntry

func (h memExpiry) Len() int           { return len(h) }
func (h memExpiry) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h memExpiry) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *memExpiry) Push(x any) {
	e := x.(*memEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *memExpiry) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// load sets key to n until expires, as a journal read back says: n zero,
// an expiry past or a key over the bound removes it. s.mu must be held.
func (s *MemoryStore) load(key string, n int64, expires, now time.Time) {
	if e := s.entries[key]; e != nil {
		s.remove(e)
	}
	if n > 0 && now.Before(expires) && s.fits("load", key) == nil {
		s.insert(key, n, expires, now)
	}
}
