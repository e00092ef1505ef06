package spf_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

const checkZone = `
$TTL 300
example.org.              TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.org -all exp=why.example.org"
_spf.example.org.         TXT "v=spf1 ip4:198.51.100.0/24 -all exp=never.example.org"
why.example.org.          TXT "%{c} may not send for %{d} (%{l} asked, %{r} checked)"
never.example.org.        TXT "an include's exp= must not be used"
mail.example.org.         A   192.0.2.25
mail.example.org.         TXT "v=spf1 a -all"
redirect.example.org.     TXT "v=spf1 ip4:203.0.113.1 exp=never.example.org redirect=target.example.org"
target.example.org.       TXT "v=spf1 ip4:203.0.113.2 -all exp=target-why.example.org"
target-why.example.org.   TXT "target says no"
neutral.example.org.      TXT "v=spf1 ip4:203.0.113.3"
late-error.example.org.   TXT "v=spf1 +all foo"
two.example.org.          TXT "v=spf1 -all"
two.example.org.          TXT "v=spf1 +all"
slow.example.org.         TXT "v=spf1 -all"
`

func checker(t testing.TB, zone string) *spf.Checker {
	z, err := spftest.NewZone(strings.NewReader(zone), ".")
	require.NoError(t, err)
	z.Inject("slow.example.org", spftest.Timeout)
	return &spf.Checker{Resolver: z, Timeout: 100 * time.Millisecond, Receiver: "mx.receiver.example"}
}

func TestCheck(t *testing.T) {
	c := checker(t, checkZone)
	tests := []struct {
		rfc, ip, helo, sender string
		want                  spf.Verdict
	}{
		{"2.6.3", "192.0.2.7", "mail.example.org", "alice@example.org", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
			Mechanism: "ip4:192.0.2.0/24"}},
		{"5.2", "198.51.100.7", "mail.example.org", "alice@example.org", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
			Mechanism: "include:_spf.example.org"}},
		{"6.2", "203.0.113.9", "mail.example.org", "alice@example.org", spf.Verdict{
			Result: spf.Fail, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
			Mechanism: "-all", Explanation: "203.0.113.9 may not send for example.org (alice asked, mx.receiver.example checked)"}},
		{"2.4", "192.0.2.25", "mail.example.org", "", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "mail.example.org", Sender: "postmaster@mail.example.org",
			Mechanism: "a"}},
		{"4.3", "203.0.113.9", "mail.example.org", "@example.org", spf.Verdict{
			Result: spf.Fail, Identity: spf.MailFrom, Domain: "example.org", Sender: "postmaster@example.org",
			Mechanism: "-all", Explanation: "203.0.113.9 may not send for example.org (postmaster asked, mx.receiver.example checked)"}},
		{"6.1", "203.0.113.9", "mail.example.org", "bob@redirect.example.org", spf.Verdict{
			Result: spf.Fail, Identity: spf.MailFrom, Domain: "redirect.example.org", Sender: "bob@redirect.example.org",
			Mechanism: "-all", Explanation: "target says no"}},
		{"6.1", "203.0.113.2", "mail.example.org", "bob@redirect.example.org", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "redirect.example.org", Sender: "bob@redirect.example.org",
			Mechanism: "ip4:203.0.113.2"}},
		{"4.7", "192.0.2.1", "mail.example.org", "bob@neutral.example.org", spf.Verdict{
			Result: spf.Neutral, Identity: spf.MailFrom, Domain: "neutral.example.org", Sender: "bob@neutral.example.org",
			Mechanism: "default"}},
		{"4.6", "192.0.2.1", "mail.example.org", "bob@late-error.example.org", spf.Verdict{
			Result: spf.PermError, Identity: spf.MailFrom, Domain: "late-error.example.org", Sender: "bob@late-error.example.org"}},
		{"4.5", "192.0.2.1", "mail.example.org", "bob@two.example.org", spf.Verdict{
			Result: spf.PermError, Identity: spf.MailFrom, Domain: "two.example.org", Sender: "bob@two.example.org"}},
		{"4.5", "192.0.2.1", "mail.example.org", "bob@nowhere.example.org", spf.Verdict{
			Result: spf.None, Identity: spf.MailFrom, Domain: "nowhere.example.org", Sender: "bob@nowhere.example.org"}},
		{"4.3", "192.0.2.1", "mail.example.org", "bob@[192.0.2.1]", spf.Verdict{
			Result: spf.None, Identity: spf.MailFrom, Domain: "[192.0.2.1]", Sender: "bob@[192.0.2.1]"}},
		{"4.3", "192.0.2.1", "localhost", "", spf.Verdict{
			Result: spf.None, Identity: spf.MailFrom, Domain: "localhost", Sender: "postmaster@localhost"}},
		{"4.6.4", "192.0.2.1", "mail.example.org", "bob@slow.example.org", spf.Verdict{
			Result: spf.TempError, Identity: spf.MailFrom, Domain: "slow.example.org", Sender: "bob@slow.example.org"}},
		{"2.4", "192.0.2.25", "mail.example.org", "<>", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "mail.example.org", Sender: "postmaster@mail.example.org",
			Mechanism: "a"}},
		{"2.4", "192.0.2.7", "mail.example.org", "<alice@example.org>", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
			Mechanism: "ip4:192.0.2.0/24"}},
		{"5", "::ffff:192.0.2.7", "mail.example.org", "alice@example.org", spf.Verdict{
			Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
			Mechanism: "ip4:192.0.2.0/24"}},
	}
	for _, tt := range tests {
		t.Run("RFC 7208 §"+tt.rfc+" "+tt.sender+" from "+tt.ip, func(t *testing.T) {
			want := tt.want
			want.ClientIP, want.HELO = netip.MustParseAddr(tt.ip), tt.helo
			got := c.Check(context.Background(), want.ClientIP, tt.helo, tt.sender)
			assert.Equal(t, want, got)
		})
	}
}

// RFC 7208 §2.3: the HELO identity on its own.
func TestCheckHELO(t *testing.T) {
	c := checker(t, checkZone)
	ip := netip.MustParseAddr("192.0.2.25")
	v := c.CheckHELO(context.Background(), ip, "mail.example.org")
	assert.Equal(t, spf.Verdict{Result: spf.Pass, Identity: spf.HELO, Domain: "mail.example.org",
		Sender: "postmaster@mail.example.org", ClientIP: ip, HELO: "mail.example.org", Mechanism: "a"}, v)

	for _, helo := range []string{"[192.0.2.25]", "mail", ""} {
		assert.Equal(t, spf.None, c.CheckHELO(context.Background(), ip, helo).Result, "RFC 7208 §2.3: %q", helo)
	}
}

func TestCheckCancelled(t *testing.T) {
	c := checker(t, checkZone)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := c.Check(ctx, netip.MustParseAddr("192.0.2.7"), "mail.example.org", "alice@example.org")
	assert.Equal(t, spf.TempError, v.Result)
}

func TestCheckInvalidIP(t *testing.T) {
	v := checker(t, checkZone).Check(context.Background(), netip.Addr{}, "mail.example.org", "alice@example.org")
	assert.Equal(t, spf.PermError, v.Result)
}

// RFC 7208 §4.6.4: at most 10 DNS-querying terms, 2 void lookups, 10 MX
// names.
func TestCheckLimits(t *testing.T) {
	var zone strings.Builder
	zone.WriteString("many.example. TXT \"v=spf1")
	for i := range 11 {
		zone.WriteString(" a:a" + string(rune('a'+i)) + ".example")
	}
	zone.WriteString(" -all\"\n")
	zone.WriteString("void.example. TXT \"v=spf1 a:x1.void.example a:x2.void.example a:x3.void.example +all\"\n")
	zone.WriteString("mx.example. TXT \"v=spf1 mx +all\"\n")
	for i := range 11 {
		zone.WriteString("mx.example. MX 10 mx" + string(rune('a'+i)) + ".example.\n")
		zone.WriteString("a" + string(rune('a'+i)) + ".example. A 192.0.2.99\n")
	}
	c := checker(t, zone.String())
	ip := netip.MustParseAddr("192.0.2.1")
	for _, sender := range []string{"x@many.example", "x@void.example", "x@mx.example"} {
		assert.Equal(t, spf.PermError, c.Check(context.Background(), ip, "helo.example", sender).Result, sender)
	}
}

func TestCheckConcurrent(t *testing.T) {
	c := checker(t, checkZone)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			assert.Equal(t, spf.Pass, c.Check(context.Background(), ip, "mail.example.org", "alice@example.org").Result)
		})
	}
	wg.Wait()
}

// The time limit holds while a lookup waits: cancelling the caller's
// context ends the wait, and so does the limit.
func TestCheckWaitingLookupEnds(t *testing.T) {
	c := checker(t, checkZone)
	c.Timeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	v := c.Check(ctx, netip.MustParseAddr("192.0.2.1"), "mail.example.org", "bob@slow.example.org")
	assert.Equal(t, spf.TempError, v.Result)

	c.Timeout = 20 * time.Millisecond
	v = c.Check(context.Background(), netip.MustParseAddr("192.0.2.1"), "mail.example.org", "bob@slow.example.org")
	assert.Equal(t, spf.TempError, v.Result)
}

// sleepyResolver answers late and without watching its context.
type sleepyResolver struct {
	spf.Resolver
	delay time.Duration
}

func (r sleepyResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	time.Sleep(r.delay)
	return r.Resolver.LookupTXT(ctx, name)
}

// The time limit holds without anyone waiting on the context: lookups
// after it see it passed (RFC 7208 §4.6.4).
func TestCheckLimitPassesBetweenLookups(t *testing.T) {
	c := checker(t, checkZone)
	c.Resolver = sleepyResolver{c.Resolver, 30 * time.Millisecond}
	c.Timeout = 10 * time.Millisecond
	v := c.Check(context.Background(), netip.MustParseAddr("192.0.2.25"), "mail.example.org", "")
	assert.Equal(t, spf.TempError, v.Result, "the A lookup for mail.example.org comes after the limit")
}
