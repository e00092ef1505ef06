package deliver_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// testZone is the DNS of the tests. Addresses are loopback; the test's
// Dial sends each to the server that plays it.
const testZone = `
example.org.       300 MX 10 mx1.example.org.
example.org.       300 MX 20 mx2.example.org.
mx1.example.org.   300 A  192.0.2.1
mx2.example.org.   300 A  192.0.2.2
other.example.     300 MX 10 mx2.example.org.
single.example.    300 MX 10 mx1.example.org.
implicit.example.  300 A  192.0.2.1
nullmx.example.    300 MX 0 .
nullmx.example.    300 A  192.0.2.1
down.example.      300 MX 10 mx-down.example.
down.example.      300 MX 20 mx1.example.org.
mx-down.example.   300 A  192.0.2.3
dangling.example.  300 MX 10 nowhere.example.
servfail.example.  300 MX 10 mx1.example.org.
hostfail.example.  300 MX 10 mx-servfail.example.
mx-servfail.example. 300 A 192.0.2.1
`

// world is a test's network: a DNS zone and the loopback servers that
// play the zone's addresses.
type world struct {
	zone  *spftest.Zone
	route map[string]string // IP → the listening "127.0.0.1:port"
}

func newWorld(t *testing.T) *world {
	t.Helper()
	z, err := spftest.NewZone(strings.NewReader(testZone), ".")
	require.NoError(t, err)
	z.Inject("servfail.example", spftest.ServFail)
	z.Inject("mx-servfail.example", spftest.ServFail)
	return &world{zone: z, route: map[string]string{}}
}

// sink starts a sink that plays ip.
func (w *world) sink(t *testing.T, ip string, opts ...smtptest.Option) *smtptest.Sink {
	s := smtptest.NewSink(t, opts...)
	w.route[ip] = s.Addr()
	return s
}

// refuse makes ip refuse connections: a port nothing listens on.
func (w *world) refuse(t *testing.T, ip string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	w.route[ip] = l.Addr().String()
	require.NoError(t, l.Close())
}

// client is a Client of this world.
func (w *world) client() *deliver.Client {
	return &deliver.Client{Resolver: w.zone, HELO: "bounce.example.net", Dial: w.dial}
}

func (w *world) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	target, ok := w.route[host]
	if !ok {
		return nil, errors.New("test: nothing plays " + addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

// text is a message that writes itself.
type text string

func (m text) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, string(m))
	return int64(n), err
}

const body = "From: a@example.net\r\nTo: b@example.org\r\nSubject: test\r\n\r\nHello.\r\n"

func env(to ...string) deliver.Envelope {
	e := deliver.Envelope{From: "sender@example.net"}
	for _, a := range to {
		e.To = append(e.To, deliver.Recipient{Addr: a})
	}
	return e
}

// failures returns the *Error values of Send's error.
func failures(t *testing.T, err error) deliver.Errors {
	t.Helper()
	var errs deliver.Errors
	require.ErrorAs(t, err, &errs)
	return errs
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// scriptedServer is an SMTP server that offers exactly the EHLO keywords
// given, accepts every command, and records the commands it gets.
func scriptedServer(t *testing.T, keywords ...string) (addr string, commands func() []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	got := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		io.WriteString(c, "220 scripted ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			got <- cmd
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				reply := "250-scripted"
				for _, k := range keywords {
					reply += "\r\n250-" + k
				}
				io.WriteString(c, reply+"\r\n250 HELP\r\n")
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), func() []string {
		var out []string
		for {
			select {
			case c := <-got:
				out = append(out, c)
			default:
				return out
			}
		}
	}
}
