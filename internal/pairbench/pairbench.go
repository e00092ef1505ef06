// Package pairbench compares two implementations of one job on a shared
// machine. The ratio of two separate benchmark runs moves with the load
// on the machine; the ratio of neighbouring blocks timed by turns, within
// one run, does not.
package pairbench

import (
	"slices"
	"testing"
	"time"
)

// Ratio runs blocks of base and of ours by turns, block calls each, and
// reports the median ratio of neighbouring blocks ("ratio": ours over
// base) and each one's time per call ("base-ns/call", "ns/call").
func Ratio(b *testing.B, block int, base, ours func()) {
	var ratios []float64
	var baseTime, oursTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range block {
			base()
		}
		t1 := time.Now()
		for range block {
			ours()
		}
		t2 := time.Now()
		baseTime, oursTime = baseTime+t1.Sub(t0), oursTime+t2.Sub(t1)
		ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
	}
	slices.Sort(ratios)
	calls := float64(len(ratios) * block)
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.ReportMetric(float64(baseTime.Nanoseconds())/calls, "base-ns/call")
	b.ReportMetric(float64(oursTime.Nanoseconds())/calls, "ns/call")
}
