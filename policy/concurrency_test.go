package policy

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// TestDecideConcurrently runs many goroutines deciding on one Policy (run
// it with -race) and checks that each gets the decision a lone caller gets.
func TestDecideConcurrently(t *testing.T) {
	p := testPolicy(&fakeChecker{result: spf.Pass})
	p.Postmaster = "postmaster@hosted.example"
	rng := rand.New(rand.NewPCG(1, 2))
	events := make([]Event, 64)
	want := make([]Decision, len(events))
	for i := range events {
		events[i] = randomEvent(rng)
		events[i].SPF = allResults[rng.IntN(len(allResults))]
		d, err := p.Decide(context.Background(), events[i])
		require.NoError(t, err)
		want[i] = d
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for j := range 50 {
				i := (g*7 + j) % len(events)
				d, err := p.Decide(context.Background(), events[i])
				if assert.NoError(t, err) {
					assert.Equal(t, want[i], d)
				}
			}
		})
	}
	wg.Wait()
}

// TestDecideConcurrentlyEvaluating runs many goroutines evaluating SPF
// through one spf.Checker with a resolver.Cache over a resolver.Zone (run it with
// -race): genuine senders bounce, forged ones drop.
func TestDecideConcurrentlyEvaluating(t *testing.T) {
	zone, err := resolver.NewZone(strings.NewReader(`example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"`), ".")
	require.NoError(t, err)
	p := testPolicy(&spf.Checker{Resolver: resolver.NewCache(zone, resolver.CacheOptions{})})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for j := range 20 {
				ev := testEvent()
				want := ReasonSPFPass
				if (g+j)%2 == 1 {
					ev.ClientIP, want = netip.MustParseAddr("203.0.113.5"), ReasonSPFFail
				}
				d, err := p.Decide(context.Background(), ev)
				if assert.NoError(t, err) {
					assert.Equal(t, want, d.Reason)
					assert.Equal(t, SourceEvaluated, d.SPFSource)
				}
			}
		})
	}
	wg.Wait()
}
