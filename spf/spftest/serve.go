package spftest

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// Serve serves h, a Zone say, over UDP and TCP on the same 127.0.0.1 port
// until the test ends, and returns the address (host:port). It fails the
// test when no port is free for both.
func Serve(tb testing.TB, h dns.Handler) string {
	tb.Helper()
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("spftest: %v", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			if attempt < 10 {
				continue // the port is taken for TCP: try another
			}
			tb.Fatalf("spftest: %v", err)
		}
		servers := []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}}
		for _, s := range servers {
			started := make(chan struct{})
			s.NotifyStartedFunc = func() { close(started) }
			go func() { _ = s.ActivateAndServe() }()
			<-started
		}
		tb.Cleanup(func() {
			for _, s := range servers {
				_ = s.Shutdown()
			}
		})
		return pc.LocalAddr().String()
	}
}
