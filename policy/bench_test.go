package policy

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/pairbench"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// benchEvent is testEvent with RET=HDRS: the DSN returns the header only.
func benchEvent() Event {
	ev := testEvent()
	ev.Ret = dsn.RetHdrs
	return ev
}

// recorded is the decision of BenchmarkDecideRecorded: the SPF result
// recorded at receipt, a bounce with a headers-only DSN.
func recorded() (*Policy, Event) {
	ev := benchEvent()
	ev.SPF = spf.Pass
	return testPolicy(nil), ev
}

// BenchmarkDecideRecorded decides with the SPF result recorded at receipt
// and composes a headers-only DSN: the common bounce. Target: 4 KB and 10
// allocations at most, the DSN itself included.
func BenchmarkDecideRecorded(b *testing.B) {
	p, ev := recorded()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(originalMessage)))
	for b.Loop() {
		d, err := p.Decide(ctx, ev)
		if err != nil || d.DSN == nil {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkDecideEvaluatedCached decides with SPF evaluated now, through a
// cache over a zone resolver (warm after the first iteration).
func BenchmarkDecideEvaluatedCached(b *testing.B) {
	zone, err := resolver.NewZone(strings.NewReader(`example.org. TXT "v=spf1 a:mail.example.org ip4:198.51.100.0/24 -all"
mail.example.org. A 192.0.2.10`), ".")
	if err != nil {
		b.Fatal(err)
	}
	p := testPolicy(&spf.Checker{Resolver: resolver.NewCache(zone, resolver.CacheOptions{})})
	ev := benchEvent()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(originalMessage)))
	for b.Loop() {
		d, err := p.Decide(ctx, ev)
		if err != nil || d.Reason != ReasonSPFPass {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkDecideDrop decides a drop without a postmaster: the rules
// alone, nothing composed.
func BenchmarkDecideDrop(b *testing.B) {
	p := testPolicy(nil)
	ev := benchEvent()
	ev.SPF = spf.Fail
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Decide(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeBaseline composes the same DSN with dsn.Compose alone:
// the baseline for what Decide adds.
func BenchmarkComposeBaseline(b *testing.B) {
	p := testPolicy(nil)
	ev := benchEvent()
	reported, _ := filterNotify(ev.Recipients)
	var r dsn.Report
	p.report(&r, &ev, reported, ev.ReturnPath)
	opts := p.composeOptions(ev.Ret)
	msg := []byte(originalMessage)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		buf.Reset()
		if _, err := dsn.Compose(&buf, &r, bytes.NewReader(msg), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecideRecordedParallel is BenchmarkDecideRecorded on every
// core: -cpu 1,2 shows how Decide scales. Target: 1.7 times the
// throughput on two cores.
func BenchmarkDecideRecordedParallel(b *testing.B) {
	p, ev := recorded()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(originalMessage)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, err := p.Decide(ctx, ev)
			if err != nil || d.DSN == nil {
				b.Error(d, err)
				return
			}
		}
	})
}

// bigOriginal is originalMessage with a body grown to size bytes.
func bigOriginal(size int) []byte {
	msg := []byte(originalMessage)
	for len(msg) < size {
		msg = append(msg, "The figures for the third quarter are attached; please review them.\r\n"...)
	}
	return msg[:size]
}

// retFull returns the RET=FULL pair, each writing its DSN out: a decision
// returning a 1 MiB original in full under a limit raised to 2 MiB, and
// the same DSN composed with dsn.Compose alone, on the same input and
// limit. It returns the original's size too.
func retFull(b *testing.B) (decide, compose func(), size int) {
	p := testPolicy(nil)
	p.ReturnSizeLimit = 2 << 20
	msg := bigOriginal(1 << 20)
	ev := testEvent()
	ev.SPF, ev.Ret, ev.Original = spf.Pass, dsn.RetFull, OriginalBytes(msg)
	var r dsn.Report
	p.report(&r, &ev, ev.Recipients, ev.ReturnPath)
	opts := p.composeOptions(ev.Ret)
	ctx := context.Background()
	var out bytes.Buffer
	out.Grow(len(msg) + 64<<10)
	decide = func() {
		out.Reset()
		d, err := p.Decide(ctx, ev)
		if err != nil || d.DSN == nil || d.DSN.Returned != dsn.ReturnFull {
			b.Fatal(d, err)
		}
		if _, err := d.DSN.WriteTo(&out); err != nil {
			b.Fatal(err)
		}
	}
	compose = func() {
		out.Reset()
		if _, err := dsn.Compose(&out, &r, bytes.NewReader(msg), opts); err != nil {
			b.Fatal(err)
		}
	}
	return decide, compose, len(msg)
}

// BenchmarkDecideRetFull decides a bounce with RET=FULL under a raised
// limit and writes the DSN out: compare with BenchmarkComposeRetFull.
// Target: within 1.2 times its time.
func BenchmarkDecideRetFull(b *testing.B) {
	decide, _, size := retFull(b)
	throughput(b, decide, size)
}

// BenchmarkComposeRetFull composes the DSN of BenchmarkDecideRetFull with
// dsn.Compose alone, on the same input and limit.
func BenchmarkComposeRetFull(b *testing.B) {
	_, compose, size := retFull(b)
	throughput(b, compose, size)
}

// throughput runs job as a benchmark that handles size bytes a call.
func throughput(b *testing.B, job func(), size int) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		job()
	}
}

// BenchmarkDecideRetFullPaired times the two by turns and reports the
// median ratio of their times (target: at most 1.2).
func BenchmarkDecideRetFullPaired(b *testing.B) {
	decide, compose, _ := retFull(b)
	pairbench.Ratio(b, 4, compose, decide)
}

// BenchmarkDecideRecordedScaling times 2,048 of BenchmarkDecideRecorded's
// decisions on one goroutine and on two by turns: its ratio, one's time
// over two's, is how Decide scales from one core to two (target: 1.7).
// BenchmarkCeilingScaling is the same for work that shares nothing.
func BenchmarkDecideRecordedScaling(b *testing.B) {
	p, ev := recorded()
	ctx := context.Background()
	scaling(b, func() {
		if d, err := p.Decide(ctx, ev); err != nil || d.DSN == nil {
			b.Error(d, err)
		}
	})
}

// scaling reports, as pairbench's ratio, the time of 2,048 calls of job on
// one goroutine over that of 1,024 calls on each of two.
func scaling(b *testing.B, job func()) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("scaling needs two cores: run with -cpu 2")
	}
	const calls = 2048
	run := func(n int) {
		for range n {
			job()
		}
	}
	// As -cpu 1,2 would, but by turns: one goroutine on one core, and
	// two on two.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	two := func() {
		runtime.GOMAXPROCS(2)
		var wg sync.WaitGroup
		wg.Go(func() { run(calls / 2) })
		run(calls / 2)
		wg.Wait()
	}
	one := func() {
		runtime.GOMAXPROCS(1)
		run(calls)
	}
	pairbench.Ratio(b, 1, two, one)
}
