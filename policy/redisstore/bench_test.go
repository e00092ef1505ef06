package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/policy/redisstore"
)

// BenchmarkClaim claims fresh keys from b.N goroutines' worth of
// parallel callers; BenchmarkPing, a bare round trip on the same kind of
// client, is its floor. Run with -cpu 1,2.
func BenchmarkClaim(b *testing.B) {
	srv := startServer(b)
	s := redisstore.New(srv.client(), prefix())
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			key := "bob@hosted.example\x00" + strconv.FormatInt(seq.Add(1), 10) + "@example.org"
			if _, err := s.Claim(ctx, key, time.Hour); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkPing(b *testing.B) {
	srv := startServer(b)
	c := srv.client()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := c.Ping(ctx).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
