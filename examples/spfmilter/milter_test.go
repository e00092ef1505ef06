package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/d--j/go-milter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// testZone is the DNS of the tests. Clients at 192.0.2.1 and 2001:db8::1
// are pass.example's; mail.helo.example's HELO policy allows 192.0.2.1.
const testZone = `
pass.example.          TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
fail.example.          TXT "v=spf1 -all exp=why.fail.example"
why.fail.example.      TXT "%{i} is not one of %{d}'s mail servers"
softfail.example.      TXT "v=spf1 ~all"
neutral.example.       TXT "v=spf1 ?all"
none.example.          A   192.0.2.99
temp.example.          TXT "v=spf1 -all"
mail.helo.example.     TXT "v=spf1 ip4:192.0.2.1 -all"
`

// ourID is the authserv-id of the tests.
const ourID = "mx.hosted.example"

// newTestZone returns the test DNS, temp.example failing with SERVFAIL.
func newTestZone(t *testing.T) *spftest.Zone {
	z, err := spftest.NewZone(strings.NewReader(testZone), ".")
	require.NoError(t, err)
	z.Inject("temp.example", spftest.ServFail)
	return z
}

// testConfig is the configuration of the tests; change may alter it.
func testConfig(change func(*config)) config {
	cfg := config{authservID: ourID, timeout: 5 * time.Second}
	if change != nil {
		change(&cfg)
	}
	return cfg
}

// startMilter serves the milter on a loopback port until the test ends,
// with DNS from r, and returns its address and its log.
func startMilter(t *testing.T, cfg config, r spf.Resolver) (string, *e2etest.Log) {
	t.Helper()
	var log e2etest.Log
	f := newFilterWith(cfg, r, slog.New(slog.NewTextHandler(&log, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, f, shutdownGrace) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return ln.Addr().String(), &log
}

// field is a header field as the MTA hands it over.
type field struct{ name, value string }

// message is one SMTP transaction as the MTA tells the milter of it.
type message struct {
	family milter.ProtoFamily
	addr   string // the client's address, or a socket path
	helo   string
	from   string // without angle brackets; "" is the null sender
	header []field
}

// outcome is what the milter answered: to MAIL FROM, and, when the
// message got that far, at its end, with the header it leaves.
type outcome struct {
	mail   *milter.Action
	end    *milter.Action
	header []field
}

// newClient is an MTA as Postfix is one: it lets the milter add, insert
// and change header fields, and sends the queue ID at end of message.
func newClient(addr string) *milter.Client {
	return milter.NewClient("tcp", addr,
		milter.WithAction(milter.OptAddHeader|milter.OptChangeHeader),
		milter.WithMacroRequest(milter.StageEOM, []milter.MacroName{milter.MacroQueueId}))
}

// send runs msg through a milter session of its own at addr.
func send(t *testing.T, addr string, msg message) outcome {
	t.Helper()
	s := openSession(t, addr, msg)
	defer s.Close()
	return transact(t, s, msg)
}

// openSession opens a milter session at addr and tells it of the
// connection and HELO of msg; the family is inet and the HELO
// mail.helo.example unless msg says otherwise.
func openSession(t *testing.T, addr string, msg message) *milter.ClientSession {
	t.Helper()
	macros := milter.NewMacroBag()
	macros.Set(milter.MacroQueueId, "4XyZ1")
	s, err := newClient(addr).Session(macros)
	require.NoError(t, err)
	if msg.family == 0 {
		msg.family = milter.FamilyInet
	}
	if msg.helo == "" {
		msg.helo = "mail.helo.example"
	}
	act, err := s.Conn("client.example", msg.family, 25, msg.addr)
	require.NoError(t, err)
	require.Equal(t, milter.ActionContinue, act.Type)
	act, err = s.Helo(msg.helo)
	require.NoError(t, err)
	require.Equal(t, milter.ActionContinue, act.Type)
	return s
}

// transact runs the transaction of msg on the open session s.
func transact(t *testing.T, s *milter.ClientSession, msg message) outcome {
	t.Helper()
	var (
		o   outcome
		err error
	)
	o.mail, err = s.Mail(msg.from, "")
	require.NoError(t, err)
	if o.mail.StopProcessing() {
		require.NoError(t, s.Abort(nil))
		return o
	}
	_, err = s.Rcpt("bob@hosted.example", "")
	require.NoError(t, err)
	_, err = s.DataStart()
	require.NoError(t, err)
	for _, f := range msg.header {
		_, err := s.HeaderField(f.name, f.value, nil)
		require.NoError(t, err)
	}
	_, err = s.HeaderEnd()
	require.NoError(t, err)
	mods, act, err := s.BodyReadFrom(strings.NewReader("Hello.\r\n"))
	require.NoError(t, err)
	o.end, o.header = act, applyMods(t, msg.header, mods)
	return o
}

// applyMods edits header as Postfix does the milter's changes: a change
// with an empty value deletes the index-th field of that name (names
// compared without regard to case, indexes renumbered at once), an insert
// at index 0 goes on top.
func applyMods(t *testing.T, header []field, mods []milter.ModifyAction) []field {
	t.Helper()
	h := append([]field(nil), header...)
	for _, m := range mods {
		switch m.Type {
		case milter.ActionChangeHeader:
			n := 0
			for i, f := range h {
				if strings.EqualFold(f.name, m.HeaderName) {
					if n++; n == int(m.HeaderIndex) {
						require.Empty(t, m.HeaderValue, "only deletions expected")
						h = append(h[:i], h[i+1:]...)
						break
					}
				}
			}
			require.LessOrEqual(t, int(m.HeaderIndex), n, "no %s #%d to delete", m.HeaderName, m.HeaderIndex)
		case milter.ActionInsertHeader:
			require.Zero(t, m.HeaderIndex, "fields go on top")
			h = append([]field{{m.HeaderName, m.HeaderValue}}, h...)
		default:
			t.Fatalf("unexpected modification %v", m)
		}
	}
	return h
}
