package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// benchEvent is testEvent with RET=HDRS: the DSN returns the header only.
func benchEvent() Event {
	ev := testEvent()
	ev.Ret = dsn.RetHdrs
	return ev
}

// BenchmarkDecideRecorded decides with the SPF result recorded at receipt
// and composes a headers-only DSN: the common bounce. Target: 15 µs/op.
func BenchmarkDecideRecorded(b *testing.B) {
	p := testPolicy(nil)
	ev := benchEvent()
	ev.SPF = spf.Pass
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
	r := p.report(&ev, reported, ev.ReturnPath)
	opts := p.composeOptions(ev.Ret)
	msg := []byte(originalMessage)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		buf.Reset()
		if _, err := dsn.Compose(&buf, r, bytes.NewReader(msg), opts); err != nil {
			b.Fatal(err)
		}
	}
}
