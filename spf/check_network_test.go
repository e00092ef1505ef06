package spf_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// silentServers starts n servers that never answer.
func silentServers(t *testing.T, n int) []string {
	var addrs []string
	for range n {
		s := startRawServer(t, func(*dns.Msg) [][]byte { return nil }, nil)
		t.Cleanup(s.close)
		addrs = append(addrs, s.addr())
	}
	return addrs
}

// RFC 7208 §4.6.4: the check's time limit holds over servers that never
// answer (each would take its 2 s query timeout), and so does a
// cancellation of the caller's context mid-check. The bounds are loose:
// they only tell "stopped early" from "asked every server".
func TestCheckOverSilentServersEndsInTime(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.9")
	c := &spf.Checker{Resolver: &spf.NetworkResolver{Servers: silentServers(t, 3)}, Timeout: 200 * time.Millisecond}
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
	s := startRawServer(t, func(req *dns.Msg) [][]byte {
		if req.Question[0].Name == "why.example.com." {
			return nil
		}
		return [][]byte{rawReply(req, rawTXT(req, "v=spf1 -all exp=why.example.com"))}
	}, nil)
	defer s.close()
	c := &spf.Checker{Resolver: &spf.NetworkResolver{Servers: []string{s.addr()}, Timeout: 100 * time.Millisecond}}
	v := c.Check(context.Background(), netip.MustParseAddr("192.0.2.9"), "h.example.com", "a@x.example.com")
	assert.Equal(t, spf.Fail, v.Result)
	assert.Equal(t, "x.example.com does not designate 192.0.2.9 as permitted sender", v.Explanation)
}
