package policy

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkCeilingParallel is the machine's own scaling, the baseline of
// BenchmarkDecideRecordedParallel: a hash of 4 KiB per iteration, which
// shares nothing and allocates nothing. -cpu 1,2 shows how far two cores
// of this machine go beyond one (sibling hyperthreads or a busy host give
// less than 2x); Decide's target is 1.7x, or this ceiling where it is lower.
func BenchmarkCeilingParallel(b *testing.B) {
	var block [4096]byte
	b.SetBytes(int64(len(block)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sha256.Sum256(block[:])
		}
	})
}

// BenchmarkCeilingScaling is BenchmarkDecideRecordedScaling's baseline:
// the same hash, timed on one goroutine and on two by turns.
func BenchmarkCeilingScaling(b *testing.B) {
	var block [4096]byte
	scaling(b, func() { sha256.Sum256(block[:]) })
}
