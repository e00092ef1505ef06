package deliver_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// hostileServer plays a next hop: play has each connection its way.
func hostileServer(t *testing.T, play func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				play(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// forever writes line again and again until the client goes, and
// counts the bytes written in sent.
func forever(c net.Conn, line string, sent *atomic.Int64) {
	b := []byte(strings.Repeat(line, 1024))
	for {
		n, err := c.Write(b)
		sent.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// A hostile next hop cannot hold Send past its Timeout, nor make it
// read without bound: a reply that never ends (RFC 5321 §4.2.1: lines
// with a hyphen after the code go on; a line whose code is not the
// reply's does not end it either, as net/textproto reads it) is cut off
// after a bounded size, a temporary failure at once, long before
// Timeout.
func TestSendHostileEndlessReply(t *testing.T) {
	for name, play := range map[string]func(net.Conn, *bufio.Reader, *atomic.Int64){
		"greeting": func(c net.Conn, _ *bufio.Reader, sent *atomic.Int64) {
			forever(c, "220-spam spam spam spam spam spam spam spam spam spam spam spam\r\n", sent)
		},
		"ehlo": func(c net.Conn, r *bufio.Reader, sent *atomic.Int64) {
			io.WriteString(c, "220 hi\r\n")
			r.ReadString('\n')
			forever(c, "250-X-SPAM spam spam spam spam spam spam spam spam spam spam\r\n", sent)
		},
		"ehlo, other code": func(c net.Conn, r *bufio.Reader, sent *atomic.Int64) {
			io.WriteString(c, "220 hi\r\n")
			r.ReadString('\n')
			io.WriteString(c, "250-hi\r\n")
			forever(c, "251 not the reply's code, so not its end\r\n", sent)
		},
		"ehlo, no code": func(c net.Conn, r *bufio.Reader, sent *atomic.Int64) {
			io.WriteString(c, "220 hi\r\n")
			r.ReadString('\n')
			io.WriteString(c, "250-hi\r\n")
			forever(c, "spam\r\n", sent)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var sent atomic.Int64
			addr := hostileServer(t, func(c net.Conn, r *bufio.Reader) { play(c, r, &sent) })
			c := &deliver.Client{NextHop: addr, HELO: "bounce.example.net", Timeout: 5 * time.Second}
			start := time.Now()
			err := c.Send(context.Background(), env("a@example.org"), text(body))
			elapsed := time.Since(start)
			assert.ErrorIs(t, err, deliver.ErrTemporary)
			assert.ErrorContains(t, err, "reply longer than")
			assert.Less(t, elapsed, 2500*time.Millisecond, "not held until Timeout")
		})
	}
}

// Other hostile replies end with a clear temporary error within
// Timeout: a line over RFC 5321 §4.5.3.1.5's bound (go-smtp cuts it at
// 2000 octets), a greeting dripped byte by byte that never ends (the
// deadline of the whole reply, not of each read), a reply that is no
// number, and a server that closes mid-reply.
func TestSendHostileReplies(t *testing.T) {
	for name, play := range map[string]func(net.Conn, *bufio.Reader){
		"huge line": func(c net.Conn, _ *bufio.Reader) {
			var sent atomic.Int64
			forever(c, "220 "+strings.Repeat("x", 4000), &sent)
		},
		"slow drip": func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "220")
			for {
				time.Sleep(20 * time.Millisecond)
				if _, err := io.WriteString(c, "-"); err != nil {
					return
				}
			}
		},
		"not a number": func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "hello there\r\n")
			time.Sleep(time.Second)
		},
		"closed mid-reply": func(c net.Conn, r *bufio.Reader) {
			io.WriteString(c, "220 hi\r\n")
			r.ReadString('\n')
			io.WriteString(c, "250-hi\r\n250-8BIT")
		},
		"STARTTLS answered at once": func(c net.Conn, r *bufio.Reader) {
			// The client has no STARTTLS: the offer is ignored, and
			// a server that then insists gets no message.
			io.WriteString(c, "220 hi\r\n")
			r.ReadString('\n')
			io.WriteString(c, "250-hi\r\n250 STARTTLS\r\n")
			r.ReadString('\n')
			io.WriteString(c, "530 5.7.0 Must issue a STARTTLS command first\r\n")
			r.ReadString('\n')
		},
	} {
		t.Run(name, func(t *testing.T) {
			addr := hostileServer(t, play)
			c := &deliver.Client{NextHop: addr, HELO: "bounce.example.net", Timeout: 500 * time.Millisecond}
			start := time.Now()
			err := c.Send(context.Background(), env("a@example.org"), text(body))
			require.Error(t, err)
			if name == "STARTTLS answered at once" {
				assert.ErrorIs(t, err, deliver.ErrPermanent)
			} else {
				assert.ErrorIs(t, err, deliver.ErrTemporary)
			}
			assert.Less(t, time.Since(start), 3*time.Second)
		})
	}
}

// A sender chooses the return path a DSN goes to, and so its domain's MX
// records, or an address literal: it must not be able to point the DSN
// at this host (127.0.0.1, ::1, 0.0.0.0, which reaches this host too) or
// at a link-local service (169.254.169.254, a cloud's metadata server),
// where a listener may trust local mail. Such addresses are skipped;
// with none left, the recipients fail for good (5.4.4, RFC 3463 §3.5:
// unable to route). Private addresses (RFC 1918) are left to the
// operator: internal MX hosts have them.
func TestSendRefusesLocalAddresses(t *testing.T) {
	const zone = `
loop.example.   300 MX 10 mx.loop.example.
mx.loop.example. 300 A 127.0.0.1
zero.example.   300 MX 10 mx.zero.example.
mx.zero.example. 300 A 0.0.0.0
mapped.example. 300 MX 10 mx.mapped.example.
mx.mapped.example. 300 AAAA ::ffff:127.0.0.1
meta.example.   300 A 169.254.169.254
six.example.    300 AAAA ::1
mixed.example.  300 MX 10 mx.mixed.example.
mx.mixed.example. 300 A 127.0.0.1
mx.mixed.example. 300 A 192.0.2.1
`
	z, err := spftest.NewZone(strings.NewReader(zone), ".")
	require.NoError(t, err)
	w := &world{zone: z, route: map[string]string{}}
	s := w.sink(t, "192.0.2.1")
	local := w.sink(t, "127.0.0.1")
	for _, ip := range []string{"0.0.0.0", "::ffff:127.0.0.1", "169.254.169.254", "::1", "127.0.0.2"} {
		w.route[ip] = local.Addr()
	}
	for _, rcpt := range []string{
		"a@loop.example", "a@zero.example", "a@mapped.example", "a@meta.example", "a@six.example",
		"a@[127.0.0.1]", "a@[0.0.0.0]", "a@[IPv6:::1]", "a@[IPv6:::ffff:127.0.0.2]", "a@[169.254.169.254]", "a@[224.0.0.1]",
	} {
		t.Run(rcpt, func(t *testing.T) {
			err := w.client().Send(context.Background(), env(rcpt), text(body))
			assert.ErrorIs(t, err, deliver.ErrPermanent)
			assert.NotErrorIs(t, err, deliver.ErrTemporary)
			errs := failures(t, err)
			require.Len(t, errs, 1)
			assert.Equal(t, "5.4.4", errs[0].EnhancedCode)
		})
	}
	assert.Zero(t, local.Connections(), "nothing reached this host")
	require.NoError(t, w.client().Send(context.Background(), env("a@mixed.example"), text(body)), "the usable address is tried")
	assert.Len(t, s.Messages(), 1)
}
