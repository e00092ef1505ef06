package resolver_test

import (
	"context"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// countingHandler counts the queries that reach a handler.
type countingHandler struct {
	h dns.Handler
	n atomic.Int64
}

func (c *countingHandler) ServeDNS(w dns.ResponseWriter, m *dns.Msg) {
	c.n.Add(1)
	c.h.ServeDNS(w, m)
}

func TestNetwork(t *testing.T) {
	addr := spftest.Serve(t, servedResolverTestZone(t))
	checkResolverCases(t, &resolver.Network{Servers: []string{addr}, Timeout: time.Second})
}

func TestNetworkFaults(t *testing.T) {
	z := servedResolverTestZone(t)
	z.Inject("mx1.example.com", spftest.ServFail)
	z.Inject("alias.example.com", spftest.Timeout)
	r := &resolver.Network{Servers: []string{spftest.Serve(t, z)}, Timeout: 100 * time.Millisecond}
	ctx := context.Background()

	_, err := r.LookupTXT(ctx, "mx1.example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "mx1.example.com"), "SERVFAIL")

	start := time.Now()
	_, err = r.LookupTXT(ctx, "alias.example.com")
	assert.Equal(t, "timeout", lookupOutcome(t, err, "alias.example.com"), "no reply")
	assert.Less(t, time.Since(start), 5*time.Second, "per-query timeout")
}

// The first server fails (SERVFAIL, then silence): the next one answers.
func TestNetworkNextServer(t *testing.T) {
	broken := servedResolverTestZone(t)
	broken.Inject("example.com", spftest.ServFail)
	broken.Inject("mx1.example.com", spftest.Timeout)
	servers := []string{spftest.Serve(t, broken), spftest.Serve(t, servedResolverTestZone(t))}
	r := &resolver.Network{Servers: servers, Timeout: 100 * time.Millisecond}

	txt, err := r.LookupTXT(context.Background(), "example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 mx -all"}, txt)
	ips, err := r.LookupIPAddr(context.Background(), "mx1.example.com")
	require.NoError(t, err)
	assert.Len(t, ips, 1)
}

// RFC 2308 §2.1: NXDOMAIN is an answer, not a failure: the next server is
// not asked.
func TestNetworkNXDOMAINIsFinal(t *testing.T) {
	first := &countingHandler{h: servedResolverTestZone(t)}
	second := &countingHandler{h: servedResolverTestZone(t)}
	r := &resolver.Network{Servers: []string{spftest.Serve(t, first), spftest.Serve(t, second)}}
	_, err := r.LookupTXT(context.Background(), "missing.example.com")
	assert.Equal(t, "notfound", lookupOutcome(t, err, "missing.example.com"))
	assert.Equal(t, int64(1), first.n.Load())
	assert.Equal(t, int64(0), second.n.Load())
}

// Cancelling the context ends a lookup at once, not at the timeout.
func TestNetworkCancel(t *testing.T) {
	z := servedResolverTestZone(t)
	z.Inject("example.com", spftest.Timeout)
	r := &resolver.Network{Servers: []string{spftest.Serve(t, z)}, Timeout: time.Hour}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.LookupTXT(ctx, "example.com")
	assert.Equal(t, "temporary", lookupOutcome(t, err, "example.com"))
	assert.Less(t, time.Since(start), 10*time.Second, "cancellation must not wait for the hour-long timeout")

	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = r.LookupMX(ctx, "example.com")
	assert.Equal(t, "timeout", lookupOutcome(t, err, "example.com"))
}

func TestNetworkNoServer(t *testing.T) {
	// Port 9 (discard) on loopback: nothing answers, or ICMP refuses.
	r := &resolver.Network{Servers: []string{"127.0.0.1:9"}, Timeout: 50 * time.Millisecond}
	_, err := r.LookupTXT(context.Background(), "example.com")
	assert.Contains(t, []string{"temporary", "timeout"}, lookupOutcome(t, err, "example.com"))
}

func TestSystem(t *testing.T) {
	if _, err := os.Stat("/etc/resolv.conf"); err != nil {
		t.Skip("no /etc/resolv.conf on this machine")
	}
	r, err := resolver.System()
	if err != nil {
		t.Skipf("/etc/resolv.conf is not usable here: %v", err)
	}
	require.NotEmpty(t, r.Servers)
	for _, s := range r.Servers {
		_, _, err := net.SplitHostPort(s)
		assert.NoError(t, err, "%q is host:port", s)
	}
}

// RFC 2308 §2.2: a referral (no answer, NS and no SOA in the authority
// section) is not "no data": the server does not recurse, so the next one
// is asked, and nothing is cached.
func TestNetworkReferralIsNotNoData(t *testing.T) {
	var lameQueries atomic.Int64
	lame := startRawServer(t, func(req *dns.Msg) [][]byte {
		lameQueries.Add(1)
		return [][]byte{rawReply(req, func(m *dns.Msg) {
			m.RecursionAvailable = false
			m.Ns = []dns.RR{rawRR("com. 172800 IN NS a.gtld-servers.net.")}
		})}
	}, nil)
	defer lame.close()
	good := startRawServer(t, func(req *dns.Msg) [][]byte {
		return [][]byte{rawReply(req, rawTXT(req, "v=spf1 ip4:192.0.2.0/24 -all"))}
	}, nil)
	defer good.close()

	r := &resolver.Network{Servers: []string{lame.addr(), good.addr()}, Timeout: time.Second}
	txt, err := r.LookupTXT(context.Background(), "x.example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 ip4:192.0.2.0/24 -all"}, txt)

	r.Servers = r.Servers[:1]
	c := resolver.NewCache(r, resolver.CacheOptions{})
	for range 2 {
		_, err = c.LookupTXT(context.Background(), "x.example.com")
		assert.Equal(t, "temporary", lookupOutcome(t, err, "x.example.com"))
	}
	assert.Equal(t, int64(3), lameQueries.Load(), "a referral is not cached")
}

// An answer larger than the EDNS0 size offered (RFC 6891 §6.2.5) without
// TC is read as truncated and asked again over TCP, not waited on.
func TestNetworkOversizedUDPAnswer(t *testing.T) {
	long := strings.Repeat("x", 250)
	s := startRawServer(t, func(req *dns.Msg) [][]byte {
		return [][]byte{rawReply(req, func(m *dns.Msg) {
			rawTXT(req, long)(m)
			for range 5 {
				m.Answer = append(m.Answer, m.Answer[0])
			}
		})}
	}, func(req *dns.Msg) []byte { return rawReply(req, rawTXT(req, "over tcp")) })
	defer s.close()
	r := &resolver.Network{Servers: []string{s.addr()}, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txt, err := r.LookupTXT(ctx, "example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"over tcp"}, txt)
}

// RFC 6891 §7: a server that answers FORMERR (or NOTIMP) to a query with
// an OPT record is asked once more without it.
func TestNetworkRetriesWithoutEDNS(t *testing.T) {
	for _, rcode := range []int{dns.RcodeFormatError, dns.RcodeNotImplemented} {
		s := startRawServer(t, func(req *dns.Msg) [][]byte {
			if req.IsEdns0() != nil {
				return [][]byte{rawReply(req, func(m *dns.Msg) { m.Rcode = rcode })}
			}
			return [][]byte{rawReply(req, rawTXT(req, "v=spf1 -all"))}
		}, nil)
		r := &resolver.Network{Servers: []string{s.addr()}, Timeout: time.Second}
		txt, err := r.LookupTXT(context.Background(), "example.com")
		require.NoError(t, err, dns.RcodeToString[rcode])
		assert.Equal(t, []string{"v=spf1 -all"}, txt)
		s.close()
	}
}

// resolv.conf(5) attempts: a lost datagram is sent again within the
// query's time to the same server.
func TestNetworkRetransmits(t *testing.T) {
	var queries atomic.Int64
	var silent atomic.Bool
	s := startRawServer(t, func(req *dns.Msg) [][]byte {
		if queries.Add(1) == 1 || silent.Load() {
			return nil // the first datagram is lost
		}
		return [][]byte{rawReply(req, rawTXT(req, "second try"))}
	}, nil)
	defer s.close()
	r := &resolver.Network{Servers: []string{s.addr()}, Timeout: 2 * time.Second, Attempts: 4}
	txt, err := r.LookupTXT(context.Background(), "example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"second try"}, txt)
	assert.Equal(t, int64(2), queries.Load())

	silent.Store(true)
	r.Timeout = 200 * time.Millisecond
	_, err = r.LookupTXT(context.Background(), "example.com")
	assert.Equal(t, "timeout", lookupOutcome(t, err, "example.com"))
	assert.Eventually(t, func() bool { return queries.Load() == 6 }, time.Second, 10*time.Millisecond, "Attempts datagrams")
}

// A CNAME chain without its target's records and without an SOA is a
// server that did not follow the chain (RFC 1034 §4.3.2 step 3a), not "no
// data": temporary, and the next server is asked. With the SOA of a
// negative answer (RFC 2308 §2.2, §3) it is "no data"; NXDOMAIN after a
// chain is final with or without one (RFC 2308 §2.1, RFC 6604 §2).
func TestNetworkCNAMEWithoutTargetRecords(t *testing.T) {
	cname := func(q dns.Question) dns.RR { return rawRR(q.Name + " 60 IN CNAME target.example.net.") }
	soa := rawRR("example.net. 60 IN SOA ns. hostmaster. 1 7200 900 1209600 60")
	cases := []struct {
		rfc   string
		rcode int
		edit  func(q dns.Question, m *dns.Msg)
		want  string // lookupOutcome, of TXT and of IP
	}{
		{"RFC 1034 §4.3.2 chain alone", dns.RcodeSuccess, func(q dns.Question, m *dns.Msg) {
			m.Answer = []dns.RR{cname(q)}
		}, "temporary"},
		{"RFC 1034 §4.3.2 chain of two, alone", dns.RcodeSuccess, func(q dns.Question, m *dns.Msg) {
			m.Answer = []dns.RR{cname(q), rawRR("target.example.net. 60 IN CNAME final.example.net.")}
		}, "temporary"},
		{"RFC 2308 §2.2 chain, then no data", dns.RcodeSuccess, func(q dns.Question, m *dns.Msg) {
			m.Answer, m.Ns = []dns.RR{cname(q)}, []dns.RR{soa}
		}, "notfound"},
		{"RFC 2308 §2.1 chain, then NXDOMAIN", dns.RcodeNameError, func(q dns.Question, m *dns.Msg) {
			m.Answer, m.Ns = []dns.RR{cname(q)}, []dns.RR{soa}
		}, "notfound"},
		{"RFC 2308 §2.1 chain, then NXDOMAIN without SOA", dns.RcodeNameError, func(q dns.Question, m *dns.Msg) {
			m.Answer = []dns.RR{cname(q)}
		}, "notfound"},
		{"RFC 2308 §2.2 no data without SOA, no chain", dns.RcodeSuccess, func(q dns.Question, m *dns.Msg) {}, "notfound"},
	}
	for _, tc := range cases {
		t.Run(tc.rfc, func(t *testing.T) {
			var queries atomic.Int64
			shaped := spftest.Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
				queries.Add(1)
				m := new(dns.Msg)
				m.SetReply(req)
				m.RecursionAvailable = true
				m.Rcode = tc.rcode
				tc.edit(req.Question[0], m)
				_ = w.WriteMsg(m)
			}))
			r := &resolver.Network{Servers: []string{shaped}, Timeout: time.Second}
			_, err := r.LookupTXT(context.Background(), "alias.example.com")
			assert.Equal(t, tc.want, lookupOutcome(t, err, "alias.example.com"), "TXT")
			_, err = r.LookupIPAddr(context.Background(), "alias.example.com")
			assert.Equal(t, tc.want, lookupOutcome(t, err, "alias.example.com"), "IP")

			// A server that follows the chain is asked next.
			queries.Store(0)
			followed := spftest.Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
				q := req.Question[0]
				m := new(dns.Msg)
				m.SetReply(req)
				m.Answer = []dns.RR{cname(q), rawRR(`target.example.net. 60 IN TXT "v=spf1 -all"`)}
				_ = w.WriteMsg(m)
			}))
			r.Servers = append(r.Servers, followed)
			txt, err := r.LookupTXT(context.Background(), "alias.example.com")
			if tc.want == "temporary" {
				require.NoError(t, err)
				assert.Equal(t, []string{"v=spf1 -all"}, txt)
			} else {
				assert.Equal(t, tc.want, lookupOutcome(t, err, "alias.example.com"), "final: not asked further")
			}
			assert.Equal(t, int64(1), queries.Load())
		})
	}

	// Zone text without an SOA, served: "no data" after a chain comes with
	// a stand-in SOA, so it stays "no data".
	z, err := spftest.NewZone(strings.NewReader("alias CNAME host\nhost A 192.0.2.1\n"), "example.com")
	require.NoError(t, err)
	r := &resolver.Network{Servers: []string{spftest.Serve(t, z)}, Timeout: time.Second}
	_, err = r.LookupTXT(context.Background(), "alias.example.com")
	assert.Equal(t, "notfound", lookupOutcome(t, err, "alias.example.com"), "served zone without SOA")
}
