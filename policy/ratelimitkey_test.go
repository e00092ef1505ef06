package policy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestBounceLimitDomainSpellings: a spammer forging return paths at one
// victim domain cannot spread its bounces over several counters by
// spelling the domain another way. The bounces all go to the same hosts:
// deliver asks DNS for the A-label (RFC 5890 §2.3.2.1, after the UTS #46
// mapping of idna.Lookup: case, width, NFC), and dials an address literal
// by its address (RFC 5321 §4.1.3), however written.
func TestBounceLimitDomainSpellings(t *testing.T) {
	for name, spellings := range map[string][]string{
		"U-label and A-label":  {"a@bücher.example", "b@xn--bcher-kva.example", "c@BÜCHER.example"},
		"decomposed":           {"a@bücher.example", "b@bu\u0308cher.example", "c@XN--BCHER-KVA.example"},
		"full width":           {"a@example.org", "b@ｅｘａｍｐｌｅ.org", "c@ＥＸＡＭＰＬＥ.ORG"},
		"IPv6 literal":         {"a@[IPv6:2001:db8::1]", "b@[IPv6:2001:DB8:0:0:0:0:0:1]", "c@[IPv6:2001:0db8::0:1]"},
		"IPv4 literal, mapped": {"a@[192.0.2.1]", "b@[IPv6:::ffff:192.0.2.1]", "c@[IPv6:0:0:0:0:0:ffff:c000:201]"},
	} {
		t.Run(name, func(t *testing.T) {
			p := testPolicy(&fakeChecker{result: spf.Pass})
			p.BounceLimit = Limit{Max: 2}
			var got []Outcome
			for _, rp := range spellings {
				ev := eventFrom(rp)
				ev.SMTPUTF8 = true
				d, err := p.Decide(context.Background(), ev)
				require.NoError(t, err, rp)
				got = append(got, d.Action)
			}
			assert.Equal(t, []Outcome{Bounce, Bounce, Defer}, got)
		})
	}
}

// TestReplyOncePerSenderSpellings: the once-per-period rule of
// DecideReply cannot be evaded by a sender writing its domain another
// way: each spelling of a mailbox is one sender, answered once.
func TestReplyOncePerSenderSpellings(t *testing.T) {
	for name, spellings := range map[string][]string{
		"U-label and A-label": {"a@bücher.example", "a@xn--bcher-kva.example"},
		"IPv6 literal":        {"a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8:0::1]"},
	} {
		t.Run(name, func(t *testing.T) {
			var evs []ReplyEvent
			for _, rp := range spellings {
				ev := testReplyEvent()
				ev.ReturnPath = rp
				ev.SMTPUTF8 = true
				evs = append(evs, ev)
			}
			assert.Equal(t, replyKey(&evs[0]), replyKey(&evs[1]))
		})
	}
}
