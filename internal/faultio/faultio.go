// Package faultio holds readers that misbehave, for tests: the hostile
// inputs a mail library must fail on cleanly rather than hang.
package faultio

import (
	"io"
	"testing"
	"time"
)

// Stall returns a reader that reads the first n bytes of r, then returns
// 0, nil for ever, as a stuck source would.
func Stall(r io.Reader, n int) io.Reader { return &stall{r, n} }

type stall struct {
	r io.Reader
	n int
}

func (s *stall) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, nil
	}
	n, err := s.r.Read(p[:min(len(p), s.n)])
	s.n -= n
	return n, err
}

// NoHang runs f and fails t when f has not returned within a generous
// ten seconds: a guard against hangs, not a speed test.
func NoHang(t testing.TB, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hangs")
	}
}
