package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// forgetfulStore is a MemoryStore whose clock moves on by more than a
// period at every claim: each claim is the first, so that every
// iteration of a benchmark sends the reply.
func forgetfulStore() *MemoryStore {
	now := testNow
	return &MemoryStore{Now: func() time.Time {
		now = now.Add((MaxReplyDays + 1) * 24 * time.Hour)
		return now
	}}
}

// benchDecideReply decides ev over and over with p, wanting want.
func benchDecideReply(b *testing.B, p *Policy, ev ReplyEvent, want ReplyReason) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(originalMessage)))
	for b.Loop() {
		d, err := p.DecideReply(ctx, ev)
		if err != nil || d.Reason != want {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkDecideReplyRecorded decides a reply with SPF pass recorded at
// receipt and the in-process store, and composes it: the common reply.
// Baseline: BenchmarkDecideRecorded, the bounce of the same message.
func BenchmarkDecideReplyRecorded(b *testing.B) {
	p := replyPolicy(nil, forgetfulStore())
	benchDecideReply(b, p, testReplyEvent(), ReplySPFPass)
}

// BenchmarkDecideReplyEvaluatedCached decides a reply with SPF evaluated
// now through a warm cache over a zone resolver. Baseline:
// BenchmarkDecideEvaluatedCached.
func BenchmarkDecideReplyEvaluatedCached(b *testing.B) {
	zone, err := resolver.NewZone(strings.NewReader(`example.org. TXT "v=spf1 a:mail.example.org ip4:198.51.100.0/24 -all"
mail.example.org. A 192.0.2.10`), ".")
	if err != nil {
		b.Fatal(err)
	}
	p := replyPolicy(&spf.Checker{Resolver: resolver.NewCache(zone, resolver.CacheOptions{})}, forgetfulStore())
	ev := testReplyEvent()
	ev.SPF = ""
	benchDecideReply(b, p, ev, ReplySPFPass)
}

// BenchmarkDecideReplyAlreadyReplied decides the second message of a
// sender within the period: every rule and the store, nothing composed.
func BenchmarkDecideReplyAlreadyReplied(b *testing.B) {
	p := replyPolicy(nil, &MemoryStore{Now: func() time.Time { return testNow }})
	if _, err := p.DecideReply(context.Background(), testReplyEvent()); err != nil {
		b.Fatal(err)
	}
	benchDecideReply(b, p, testReplyEvent(), ReplyAlreadyReplied)
}
