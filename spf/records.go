package spf

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// A recordCache keeps the records a Checker has parsed, by their text, so
// that a record answered again (by a resolver's cache, say) is parsed once.
// What it keeps is bounded, approximately, by recordCacheBytes: when full,
// it starts over. The zero value is ready to use; it is safe for
// concurrent use.
type recordCache struct {
	records sync.Map     // record text → *record, never changed once stored
	bytes   atomic.Int64 // what the records kept take, approximately
}

// recordCacheBytes bounds what a recordCache keeps: some thousands of
// typical records, and whatever a hostile zone answers, no more than
// a megabyte.
const recordCacheBytes = 1 << 20

// The sizes a kept record takes besides its text: its bookkeeping, and
// each term. unsafe.Sizeof is a constant of the platform: nothing unsafe
// is done.
const (
	recordSize = int(unsafe.Sizeof(record{})) + 64 // and the map's entry, about
	termSize   = int(unsafe.Sizeof(term{}))
)

// parse returns the record text parsed strictly (parseRecord), from those
// kept when it is there.
func (c *recordCache) parse(text string) (*record, error) {
	if r, ok := c.records.Load(text); ok {
		return r.(*record), nil
	}
	rec, err := parseRecord(text)
	if err != nil {
		return nil, err
	}
	size := int64(recordSize + len(text) + cap(rec.terms)*termSize)
	if c.bytes.Add(size) > recordCacheBytes {
		c.records.Clear()
		c.bytes.Store(size)
	}
	c.records.Store(text, &rec)
	return &rec, nil
}
