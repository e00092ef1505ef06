package spf_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// reply answers req with rcode and the records given in zone-file syntax.
func reply(t *testing.T, w dns.ResponseWriter, req *dns.Msg, rcode int, records ...string) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable, m.Rcode = true, rcode
	for _, r := range records {
		rr, err := dns.NewRR(r)
		require.NoError(t, err)
		m.Answer = append(m.Answer, rr)
	}
	_ = w.WriteMsg(m)
}

// silentServers starts n servers that never answer.
func silentServers(t *testing.T, n int) []string {
	var addrs []string
	for range n {
		addrs = append(addrs, spftest.Serve(t, dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {})))
	}
	return addrs
}

// RFC 7208 §4.6.4: the check's time limit holds over servers that never
// answer (each would take its 2 s query timeout), and so does a
// cancellation of the caller's context mid-check. The bounds are loose:
// they only tell "stopped early" from "asked every server".
func TestCheckOverSilentServersEndsInTime(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.9")
	c := &spf.Checker{Resolver: &resolver.Network{Servers: silentServers(t, 3)}, Timeout: 200 * time.Millisecond}
	start := time.Now()
	v := c.Check(context.Background(), ip, "h.example.com", "a@x.example.com")
	assert.Equal(t, spf.TempError, v.Result)
	assert.Less(t, time.Since(start), 3*time.Second, "the time limit")

	c.Timeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	v = c.Check(ctx, ip, "h.example.com", "a@x.example.com")
	assert.Equal(t, spf.TempError, v.Result)
	assert.Less(t, time.Since(start), 3*time.Second, "the cancellation")
}

// RFC 7208 §6.2: an exp= name that does not answer in time gives the
// default explanation, not an error.
func TestCheckSlowExplanationGivesDefault(t *testing.T) {
	addr := spftest.Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		if q := req.Question[0]; q.Name != "why.example.com." {
			reply(t, w, req, dns.RcodeSuccess, q.Name+` 60 IN TXT "v=spf1 -all exp=why.example.com"`)
		}
	}))
	c := &spf.Checker{Resolver: &resolver.Network{Servers: []string{addr}, Timeout: 100 * time.Millisecond}}
	v := c.Check(context.Background(), netip.MustParseAddr("192.0.2.9"), "h.example.com", "a@x.example.com")
	assert.Equal(t, spf.Fail, v.Result)
	assert.Equal(t, "x.example.com does not designate 192.0.2.9 as permitted sender", v.Explanation)
}
