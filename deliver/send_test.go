package deliver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

// failingResolver fails the test on any lookup: a next hop needs none.
type failingResolver struct{ t *testing.T }

func (r failingResolver) fail() error {
	r.t.Error("a DNS lookup with a next hop")
	return errors.New("no lookups")
}
func (r failingResolver) LookupTXT(context.Context, string) ([]string, error) { return nil, r.fail() }
func (r failingResolver) LookupMX(context.Context, string) ([]*net.MX, error) { return nil, r.fail() }
func (r failingResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return nil, r.fail()
}
func (r failingResolver) LookupAddr(context.Context, string) ([]string, error) { return nil, r.fail() }

func TestSendNextHopOneTransaction(t *testing.T) {
	s := smtptest.NewSink(t)
	c := &deliver.Client{NextHop: s.Addr(), HELO: "bounce.example.net", Resolver: failingResolver{t}}
	require.NoError(t, c.Send(context.Background(), env("a@example.org", "b@other.example", "c@[192.0.2.1]"), text(body)))
	msgs := s.Messages()
	require.Len(t, msgs, 1, "every recipient in one transaction")
	assert.Equal(t, 1, s.Connections())
	assert.Equal(t, "bounce.example.net", msgs[0].Hello)
	assert.Equal(t, "sender@example.net", msgs[0].From)
	require.Len(t, msgs[0].To, 3)
	assert.Equal(t, "c@[192.0.2.1]", msgs[0].To[2].Addr)
	assert.Equal(t, body, string(msgs[0].Data))
}

func TestSendNextHopForms(t *testing.T) {
	s := smtptest.NewSink(t)
	for _, tc := range []struct{ hop, port string }{
		{s.Addr(), ""},
		{"[127.0.0.1]:" + s.Port(), ""},
		{"127.0.0.1", s.Port()},   // Port fills in
		{"[127.0.0.1]", s.Port()}, // Port fills in
	} {
		c := &deliver.Client{NextHop: tc.hop, Port: tc.port, HELO: "bounce.example.net"}
		assert.NoError(t, c.Send(context.Background(), env("a@example.org"), text(body)), tc.hop)
	}
	assert.Len(t, s.Messages(), 4)
}

// RFC 5321 §5.1: the MX host of lowest preference first.
func TestSendMXOrder(t *testing.T) {
	w := newWorld(t)
	mx1, mx2 := w.sink(t, "192.0.2.1"), w.sink(t, "192.0.2.2")
	require.NoError(t, w.client().Send(context.Background(), env("a@example.org"), text(body)))
	assert.Len(t, mx1.Messages(), 1)
	assert.Zero(t, mx2.Connections(), "the second MX is not tried")
}

// RFC 5321 §5.1: a host that cannot be reached, or answers 4xx before the
// transaction is settled, gives way to the next.
func TestSendFallsBackToSecondMX(t *testing.T) {
	closingReply := &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}
	for _, tc := range []struct {
		name  string
		setup func(w *world, t *testing.T)
	}{
		{"connection refused", func(w *world, t *testing.T) { w.refuse(t, "192.0.2.1") }},
		{"421 at EHLO", func(w *world, t *testing.T) { w.sink(t, "192.0.2.1").Fail(smtptest.StageHello, closingReply) }},
		{"554 at EHLO", func(w *world, t *testing.T) {
			w.sink(t, "192.0.2.1").Fail(smtptest.StageHello, &smtp.SMTPError{Code: 554, Message: "no service"})
		}},
		{"421 at MAIL", func(w *world, t *testing.T) { w.sink(t, "192.0.2.1").Fail(smtptest.StageMail, closingReply) }},
		{"451 at MAIL", func(w *world, t *testing.T) {
			w.sink(t, "192.0.2.1").Fail(smtptest.StageMail, &smtp.SMTPError{Code: 451, Message: "later"})
		}},
		{"421 at RCPT", func(w *world, t *testing.T) { w.sink(t, "192.0.2.1").Fail(smtptest.StageRcpt, closingReply) }},
		{"dropped at MAIL", func(w *world, t *testing.T) { w.sink(t, "192.0.2.1").Fail(smtptest.StageMail, smtptest.ErrDrop) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(w, t)
			mx2 := w.sink(t, "192.0.2.2")
			require.NoError(t, w.client().Send(context.Background(), env("a@example.org", "b@example.org"), text(body)))
			msgs := mx2.Messages()
			require.Len(t, msgs, 1)
			assert.Len(t, msgs[0].To, 2)
		})
	}
}

func TestSendAllMXDownIsTemporary(t *testing.T) {
	w := newWorld(t)
	w.refuse(t, "192.0.2.1")
	w.sink(t, "192.0.2.2").Fail(smtptest.StageHello, &smtp.SMTPError{Code: 554, Message: "no service"})
	err := w.client().Send(context.Background(), env("a@example.org"), text(body))
	errs := failures(t, err)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, err, deliver.ErrTemporary, "a host that may be up later wins over a 554")
	assert.NotErrorIs(t, err, deliver.ErrPermanent)
	assert.Equal(t, "mx1.example.org", errs[0].Host)
	assert.Equal(t, "4.4.2", errs[0].EnhancedCode)
	assert.Equal(t, []string{"a@example.org"}, errs[0].Recipients)
}

// RFC 5321 §5.1: no MX records, the domain's own address.
func TestSendImplicitMX(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	require.NoError(t, w.client().Send(context.Background(), env("a@implicit.example"), text(body)))
	assert.Len(t, s.Messages(), 1)
}

func TestSendAddressLiteral(t *testing.T) {
	w := newWorld(t)
	s4 := w.sink(t, "192.0.2.1")
	s6 := w.sink(t, "2001:db8::1")
	c := w.client()
	c.Resolver = failingResolver{t} // RFC 5321 §5.1: a literal asks no DNS
	require.NoError(t, c.Send(context.Background(), env("a@[192.0.2.1]", "b@[IPv6:2001:db8::1]"), text(body)))
	assert.Len(t, s4.Messages(), 1)
	assert.Len(t, s6.Messages(), 1)
}

func TestSendDNSFailures(t *testing.T) {
	for _, tc := range []struct {
		name, rcpt, ec string
		temporary      bool
	}{
		// RFC 7505 §3: a null MX accepts no mail, whatever its A says.
		{"null MX", "a@nullmx.example", "5.1.10", false},
		{"NXDOMAIN", "a@nosuch.example", "5.1.2", false},
		{"MX host without address", "a@dangling.example", "5.1.2", false},
		{"SERVFAIL on MX", "a@servfail.example", "4.4.3", true},
		{"SERVFAIL on MX host", "a@hostfail.example", "4.4.3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1")
			err := w.client().Send(context.Background(), env(tc.rcpt), text(body))
			errs := failures(t, err)
			require.Len(t, errs, 1)
			e := errs[0]
			assert.Equal(t, tc.temporary, e.Temporary)
			if tc.temporary {
				assert.ErrorIs(t, err, deliver.ErrTemporary)
			} else {
				assert.ErrorIs(t, err, deliver.ErrPermanent)
			}
			assert.Equal(t, tc.ec, e.EnhancedCode)
			assert.Zero(t, e.Code, "no reply")
			assert.Equal(t, []string{tc.rcpt}, e.Recipients)
			assert.Zero(t, s.Connections(), "no connection")
		})
	}
}

func TestSendRepliesAtEachStage(t *testing.T) {
	for _, tc := range []struct {
		stage     smtptest.Stage
		code      int
		temporary bool
	}{
		{smtptest.StageMail, 451, true},
		{smtptest.StageMail, 550, false},
		{smtptest.StageRcpt, 450, true},
		{smtptest.StageRcpt, 550, false},
		{smtptest.StageData, 451, true},
		{smtptest.StageData, 554, false},
		{smtptest.StageData, 421, true},
	} {
		t.Run(tc.stage.String()+" "+itoa(tc.code), func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1")
			s.Fail(tc.stage, &smtp.SMTPError{Code: tc.code, EnhancedCode: smtp.EnhancedCode{tc.code / 100, 7, 1}, Message: "injected"})
			err := w.client().Send(context.Background(), env("a@single.example", "b@single.example"), text(body))
			errs := failures(t, err)
			assert.Equal(t, tc.temporary, errors.Is(err, deliver.ErrTemporary))
			assert.Equal(t, !tc.temporary, errors.Is(err, deliver.ErrPermanent))
			var rcpts []string
			for _, e := range errs {
				assert.Equal(t, tc.code, e.Code)
				assert.Equal(t, itoa(tc.code/100)+".7.1", e.EnhancedCode)
				assert.Equal(t, "injected", e.Text)
				assert.Equal(t, "mx1.example.org", e.Host)
				assert.Equal(t, itoa(tc.code)+" "+e.EnhancedCode+" injected", e.Reply())
				rcpts = append(rcpts, e.Recipients...)
			}
			assert.Equal(t, []string{"a@single.example", "b@single.example"}, rcpts, "every recipient accounted for")
			assert.Empty(t, s.Messages())
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSendPartialRcptFailure(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	s.SetHook(func(stage smtptest.Stage, arg string) error {
		switch {
		case stage != smtptest.StageRcpt:
		case arg == "gone@single.example":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case arg == "full@single.example":
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		return nil
	})
	err := w.client().Send(context.Background(), env("ok@single.example", "gone@single.example", "full@single.example"), text(body))
	errs := failures(t, err)
	require.Len(t, errs, 2)
	assert.Equal(t, []string{"gone@single.example"}, errs[0].Recipients)
	assert.Equal(t, "550 5.1.1 no such user", errs[0].Reply())
	assert.False(t, errs[0].Temporary)
	assert.Equal(t, []string{"full@single.example"}, errs[1].Recipients)
	assert.Equal(t, "452 4.2.2 mailbox full", errs[1].Reply())
	assert.True(t, errs[1].Temporary)
	assert.ErrorIs(t, err, deliver.ErrTemporary)
	assert.ErrorIs(t, err, deliver.ErrPermanent)
	msgs := s.Messages()
	require.Len(t, msgs, 1, "the accepted recipient gets the message")
	require.Len(t, msgs[0].To, 1)
	assert.Equal(t, "ok@single.example", msgs[0].To[0].Addr)
}

func TestSendDropMidData(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	s.Fail(smtptest.StageData, smtptest.ErrDrop)
	mx2 := w.sink(t, "192.0.2.2")
	err := w.client().Send(context.Background(), env("a@example.org"), text(body))
	errs := failures(t, err)
	require.Len(t, errs, 1)
	assert.True(t, errs[0].Temporary)
	assert.Zero(t, errs[0].Code)
	assert.Error(t, errs[0].Err, "the network error")
	assert.Empty(t, s.Messages())
	assert.Zero(t, mx2.Connections(), "once data went out, the next try is the caller's")
}

// The message's own error ends the transaction without the final dot:
// the server keeps nothing.
func TestSendMessageWriteError(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	broken := errors.New("spool unreadable")
	err := w.client().Send(context.Background(), env("a@single.example"), failingMessage{broken})
	errs := failures(t, err)
	require.Len(t, errs, 1)
	assert.True(t, errs[0].Temporary)
	assert.ErrorIs(t, err, broken)
	assert.Empty(t, s.Messages())
}

type failingMessage struct{ err error }

func (m failingMessage) WriteTo(w io.Writer) (int64, error) {
	n, _ := io.WriteString(w, "Subject: half\r\n")
	return int64(n), m.err
}

func TestSendOneTransactionPerDomain(t *testing.T) {
	w := newWorld(t)
	mx1, mx2 := w.sink(t, "192.0.2.1"), w.sink(t, "192.0.2.2")
	require.NoError(t, w.client().Send(context.Background(), env("a@example.org", "x@other.example", "B@EXAMPLE.ORG"), text(body)))
	m1, m2 := mx1.Messages(), mx2.Messages()
	require.Len(t, m1, 1)
	require.Len(t, m2, 1)
	assert.Equal(t, "a@example.org", m1[0].To[0].Addr)
	assert.Equal(t, "B@EXAMPLE.ORG", m1[0].To[1].Addr, "domains are case-blind; the address is kept")
	assert.Equal(t, "x@other.example", m2[0].To[0].Addr)
}

// RFC 2034 §3: each line of a multi-line reply carries the enhanced code;
// Text has none of them, and Error is one line.
func TestSendMultiLineReply(t *testing.T) {
	w := newWorld(t)
	s := w.sink(t, "192.0.2.1")
	s.Fail(smtptest.StageRcpt, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user\nsee the docs"})
	err := w.client().Send(context.Background(), env("a@single.example"), text(body))
	errs := failures(t, err)
	require.Len(t, errs, 1)
	assert.Equal(t, "5.1.1", errs[0].EnhancedCode)
	assert.Equal(t, "no such user\nsee the docs", errs[0].Text)
	assert.Equal(t, "550 5.1.1 no such user\nsee the docs", errs[0].Reply())
	assert.Equal(t, "deliver: permanent failure for <a@single.example> at mx1.example.org: 550 5.1.1 no such user see the docs", errs[0].Error())
}

// A message that reads itself away, as a *strings.Reader does, is put
// back for each transaction.
func TestSendSeeksMessageBack(t *testing.T) {
	w := newWorld(t)
	mx1, mx2 := w.sink(t, "192.0.2.1"), w.sink(t, "192.0.2.2")
	msg := strings.NewReader("skipped\r\n" + body)
	_, err := msg.Seek(int64(len("skipped\r\n")), io.SeekStart)
	require.NoError(t, err)
	require.NoError(t, w.client().Send(context.Background(), env("a@example.org", "b@other.example"), msg))
	require.Len(t, mx1.Messages(), 1)
	require.Len(t, mx2.Messages(), 1)
	assert.Equal(t, body, string(mx1.Messages()[0].Data))
	assert.Equal(t, body, string(mx2.Messages()[0].Data), "the second transaction gets all of it")
}
