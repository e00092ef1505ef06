//go:build !purego

package dsn

import (
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// Clean lines are proven so by the vector check where there is one: the
// fast path that BenchmarkComposeFull1MB measures is taken.
func TestLinesProvenTakesCleanLines(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("this CPU has no AVX2: there is no vector check to test")
	}
	for _, width := range []int{2, 3, 64, 70, 78, 700} {
		q := proofInput(strings.Repeat(strings.Repeat("x", width-2)+"\r\n", 2000/width+1))
		if !linesProven(q) {
			t.Errorf("lines of %d bytes are not proven clean", width)
		}
	}
	if q := proofInput(strings.Repeat("x", 998) + "\r\n"); linesProven(q) {
		t.Error("a line of 998 bytes, 15 windows without an LF, is proven clean")
	}
}
