package resolver_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// A rawServer misbehaves on 127.0.0.1 as its scenario says: over UDP it
// sends the packets udp returns for a query (none: silence); over TCP, the
// message tcp returns (nil: it just closes the connection).
type rawServer struct {
	udp *net.UDPConn
	tcp *net.TCPListener
	wg  sync.WaitGroup
}

func startRawServer(t *testing.T, udp func(req *dns.Msg) [][]byte, tcp func(req *dns.Msg) []byte) *rawServer {
	t.Helper()
	s := &rawServer{}
	for attempt := 0; ; attempt++ {
		var err error
		s.udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		port := s.udp.LocalAddr().(*net.UDPAddr).Port
		s.tcp, err = net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err == nil {
			break
		}
		s.udp.Close() // the port is taken for TCP: try another
		require.Less(t, attempt, 10, "no port free for both UDP and TCP")
	}
	s.wg.Add(2)
	go s.serveUDP(udp)
	go s.serveTCP(tcp)
	return s
}

func (s *rawServer) addr() string { return s.udp.LocalAddr().String() }

// close stops the server and waits for its goroutines.
func (s *rawServer) close() {
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
}

func (s *rawServer) serveUDP(reply func(req *dns.Msg) [][]byte) {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := s.udp.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		req := new(dns.Msg)
		if req.Unpack(buf[:n]) != nil {
			continue
		}
		for _, p := range reply(req) {
			_, _ = s.udp.WriteToUDP(p, from)
		}
	}
}

func (s *rawServer) serveTCP(reply func(req *dns.Msg) []byte) {
	defer s.wg.Done()
	for {
		conn, err := s.tcp.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			var size [2]byte
			if _, err := io.ReadFull(conn, size[:]); err != nil {
				return
			}
			msg := make([]byte, binary.BigEndian.Uint16(size[:]))
			req := new(dns.Msg)
			if _, err := io.ReadFull(conn, msg); err != nil || req.Unpack(msg) != nil || reply == nil {
				return
			}
			if out := reply(req); out != nil {
				_, _ = conn.Write(binary.BigEndian.AppendUint16(nil, uint16(len(out))))
				_, _ = conn.Write(out)
			}
		}()
	}
}

// rawReply packs a reply to req, changed by edit.
func rawReply(req *dns.Msg, edit func(m *dns.Msg)) []byte {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	edit(m)
	p, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return p
}

// rawRR parses one record in zone-file syntax.
func rawRR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}

// rawTXT answers with a TXT record for the name asked.
func rawTXT(req *dns.Msg, strs ...string) func(m *dns.Msg) {
	return func(m *dns.Msg) {
		m.Answer = []dns.RR{&dns.TXT{
			Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
			Txt: strs,
		}}
	}
}

func TestNetworkMisbehavingServers(t *testing.T) {
	long := make([]string, 16)
	for i := range long {
		long[i] = strings.Repeat(string(rune('a'+i)), 255)
	}
	truncated := func(req *dns.Msg) [][]byte {
		return [][]byte{rawReply(req, func(m *dns.Msg) { m.Truncated = true })}
	}
	good := func(req *dns.Msg) []byte { return rawReply(req, rawTXT(req, "v=spf1 -all")) }

	cases := []struct {
		rfc  string
		udp  func(req *dns.Msg) [][]byte
		tcp  func(req *dns.Msg) []byte
		want string   // lookupOutcome
		txt  []string // when ok
	}{
		{
			rfc: "RFC 7766 §5 truncated over UDP, answered over TCP",
			udp: truncated, tcp: good,
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc: "RFC 6891 §6.2.5 queries offer 1232 bytes with EDNS0, RFC 1035 §4.1.1 and ask for recursion",
			udp: func(req *dns.Msg) [][]byte {
				if opt := req.IsEdns0(); opt == nil || opt.UDPSize() != 1232 || !req.RecursionDesired {
					return [][]byte{rawReply(req, func(m *dns.Msg) { m.Rcode = dns.RcodeFormatError })}
				}
				return [][]byte{rawReply(req, rawTXT(req, "v=spf1 -all"))}
			},
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc: "RFC 2181 §9 truncated mid-record over UDP, answered over TCP",
			udp: func(req *dns.Msg) [][]byte {
				p := rawReply(req, func(m *dns.Msg) {
					rawTXT(req, "v=spf1 -all")(m)
					m.Truncated = true
				})
				return [][]byte{p[:len(p)-4]}
			},
			tcp:  good,
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc:  "RFC 7208 §3.3 a 4 KB TXT over TCP, joined",
			udp:  truncated,
			tcp:  func(req *dns.Msg) []byte { return rawReply(req, rawTXT(req, long...)) },
			want: "ok", txt: []string{strings.Join(long, "")},
		},
		{
			rfc: "RFC 5452 §9.1 wrong ID ignored",
			udp: func(req *dns.Msg) [][]byte {
				forged := rawReply(req, rawTXT(req, "forged"))
				forged[0] ^= 0xff
				return [][]byte{forged, rawReply(req, rawTXT(req, "v=spf1 -all"))}
			},
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc: "RFC 5452 §4.1 wrong question ignored",
			udp: func(req *dns.Msg) [][]byte {
				other := req.Copy()
				other.Question[0].Name = "evil.example."
				wrongType := req.Copy()
				wrongType.Question[0].Qtype = dns.TypeA
				return [][]byte{
					rawReply(other, rawTXT(other, "forged")),
					rawReply(wrongType, rawTXT(wrongType, "forged")),
					rawReply(req, rawTXT(req, "v=spf1 -all")),
				}
			},
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc: "garbage ignored",
			udp: func(req *dns.Msg) [][]byte {
				return [][]byte{[]byte("\x00\x01garbage"), {}, rawReply(req, rawTXT(req, "v=spf1 -all"))}
			},
			want: "ok", txt: []string{"v=spf1 -all"},
		},
		{
			rfc:  "garbage only: timeout",
			udp:  func(req *dns.Msg) [][]byte { return [][]byte{[]byte("\xde\xad\xbe\xef")} },
			want: "timeout",
		},
		{
			rfc: "wrong ID only: timeout",
			udp: func(req *dns.Msg) [][]byte {
				forged := rawReply(req, rawTXT(req, "forged"))
				forged[1] ^= 0xff
				return [][]byte{forged}
			},
			want: "timeout",
		},
		{
			rfc:  "RFC 1035 §4.1.1 a query is not an answer: timeout",
			udp:  func(req *dns.Msg) [][]byte { p, _ := req.Pack(); return [][]byte{p} },
			want: "timeout",
		},
		{
			rfc:  "silence: timeout",
			udp:  func(req *dns.Msg) [][]byte { return nil },
			want: "timeout",
		},
		{
			rfc:  "truncated, then TCP closed",
			udp:  truncated,
			want: "temporary",
		},
		{
			rfc: "RFC 2181 §9 truncated over TCP too, with part of the records",
			udp: truncated,
			tcp: func(req *dns.Msg) []byte {
				return rawReply(req, func(m *dns.Msg) {
					rawTXT(req, "v=spf1 -all")(m)
					m.Truncated = true
				})
			},
			want: "temporary",
		},
		{
			rfc:  "RFC 2181 §9 truncated over TCP too, empty",
			udp:  truncated,
			tcp:  func(req *dns.Msg) []byte { return truncated(req)[0] },
			want: "temporary",
		},
		{
			rfc: "RFC 2181 §9 truncated over TCP mid-record",
			udp: truncated,
			tcp: func(req *dns.Msg) []byte {
				p := rawReply(req, func(m *dns.Msg) {
					rawTXT(req, "v=spf1 -all")(m)
					m.Truncated = true
				})
				return p[:len(p)-4]
			},
			want: "temporary",
		},
		{
			rfc: "RFC 1035 §4.2.2 a TCP answer that cannot be read whole",
			udp: truncated,
			tcp: func(req *dns.Msg) []byte {
				p := good(req)
				return p[:len(p)-4]
			},
			want: "temporary",
		},
		{
			rfc: "RFC 1035 §4.1.1 SERVFAIL",
			udp: func(req *dns.Msg) [][]byte {
				return [][]byte{rawReply(req, func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure })}
			},
			want: "temporary",
		},
		{
			rfc: "RFC 1035 §4.1.1 REFUSED",
			udp: func(req *dns.Msg) [][]byte {
				return [][]byte{rawReply(req, func(m *dns.Msg) { m.Rcode = dns.RcodeRefused })}
			},
			want: "temporary",
		},
		{
			rfc: "RFC 1034 §3.6.2 CNAME loop in the answer",
			udp: func(req *dns.Msg) [][]byte {
				return [][]byte{rawReply(req, func(m *dns.Msg) {
					m.Answer = []dns.RR{
						rawRR(req.Question[0].Name + " 60 IN CNAME b.example."),
						rawRR("b.example. 60 IN CNAME " + req.Question[0].Name),
					}
				})}
			},
			want: "temporary",
		},
		{
			rfc: "RFC 1034 §3.6.2 records of other names ignored",
			udp: func(req *dns.Msg) [][]byte {
				return [][]byte{rawReply(req, func(m *dns.Msg) {
					m.Answer = []dns.RR{rawRR(`evil.example. 60 IN TXT "v=spf1 +all"`)}
				})}
			},
			want: "notfound",
		},
	}

	before := runtime.NumGoroutine()
	for _, tc := range cases {
		t.Run(tc.rfc, func(t *testing.T) {
			s := startRawServer(t, tc.udp, tc.tcp)
			defer s.close()
			r := &resolver.Network{Servers: []string{s.addr()}, Timeout: 150 * time.Millisecond}
			start := time.Now()
			txt, err := r.LookupTXT(context.Background(), "example.com")
			assert.Less(t, time.Since(start), 5*time.Second, "within the time limit")
			assert.Equal(t, tc.want, lookupOutcome(t, err, "example.com"))
			assert.Equal(t, tc.txt, txt)
		})
	}

	// No goroutine outlives its lookup: give exiting ones a moment.
	for range 100 {
		if runtime.NumGoroutine() <= before {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "leaked goroutines")
}
