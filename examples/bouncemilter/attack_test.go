package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/d--j/go-milter"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// victimZone adds a forged domain whose SPF designates 192.0.2.99, the
// address a spammer plants, and not 127.0.0.1, where the spammer really
// connects from.
const victimZone = testZone + `
victim.example.   TXT "v=spf1 ip4:192.0.2.99 -all"
`

// rawSend sends msg from from to the unknown user over a raw SMTP session
// that says EHLO helo as given, RET=HDRS: what a spammer's client says,
// which go-smtp's client would not send.
func rawSend(ctx context.Context, t *testing.T, addr, helo, from string, msg []byte) {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
	r := bufio.NewReader(c)
	reply := func() string {
		var all string
		for {
			line, err := r.ReadString('\n')
			require.NoError(t, err, all)
			all += line
			if len(line) < 4 || line[3] != '-' {
				return all
			}
		}
	}
	reply()
	for _, cmd := range []string{"EHLO " + helo, "MAIL FROM:<" + from + "> RET=HDRS", "RCPT TO:<" + unknownUser + ">", "DATA"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
		got := reply()
		require.True(t, got[0] == '2' || got[0] == '3', "%s: %s", cmd, got)
	}
	fmt.Fprintf(c, "%s\r\n.\r\n", msg)
	got := reply()
	require.True(t, strings.HasPrefix(got, "250"), got)
	fmt.Fprintf(c, "QUIT\r\n")
}

// TestE2EPlantedTraceFields: a spammer forges victim@victim.example, whose
// SPF designates 192.0.2.99, sends from 127.0.0.1 to an unknown user, and
// plants in the original what might pass for our receipt: a Received
// field by our host from 192.0.2.99, Received-SPF and
// Authentication-Results saying pass under our authserv-id (in odd case
// and spacing too), comments with [192.0.2.99] and helo=, Auto-Submitted:
// no, 40 Received fields, and an EHLO crafted to close Postfix's from
// clause early. Postfix writes its own Received field on top and neuters
// the EHLO's specials; with or without spfmilter at receipt, the DSN is
// decided on 127.0.0.1 (spf-fail) and never reaches the victim.
func TestE2EPlantedTraceFields(t *testing.T) {
	planted := []string{
		"Received-SPF: pass (" + ourHost + ": domain of victim@victim.example designates 192.0.2.99 as permitted sender) receiver=" + ourHost + "; client-ip=192.0.2.99; envelope-from=victim@victim.example; identity=mailfrom\r\n",
		"authentication-results :  " + strings.ToUpper(ourHost) + ";\r\n\tspf=pass smtp.mailfrom=victim@victim.example\r\n",
		"RECEIVED-SPF:pass (" + ourHost + ") receiver=" + ourHost + "; client-ip=192.0.2.99; envelope-from=victim@victim.example\r\n",
		"Received: from mail.victim.example (mail.victim.example [192.0.2.99])\r\n\tby " + ourHost + " (Postfix) with ESMTPSA id 4Qplant\r\n\tfor <" + unknownUser + ">; Thu, 01 Jan 2026 00:00:00 +0000\r\n",
		"Received: from x ([192.0.2.99]:25 helo=mail.victim.example) (helo=[192.0.2.99])\r\n\tby " + ourHost + " with esmtp; Thu, 01 Jan 2026 00:00:00 +0000\r\n",
		"Auto-Submitted: no\r\n",
	}
	for i := 0; i < 40; i++ { // under Postfix's hopcount_limit (50)
		planted = append(planted, fmt.Sprintf("Received: from h%d ([192.0.2.99]) by %s; Thu, 01 Jan 2026 00:00:00 +0000\r\n", i, ourHost))
	}
	helos := []string{
		"mail.victim.example ([192.0.2.99]) by " + ourHost + "; (",
		"[192.0.2.99]",
		"x (helo=mail.victim.example [192.0.2.99]) with ESMTPSA",
	}
	for _, noSPF := range []bool{false, true} {
		t.Run(fmt.Sprintf("noSPFMilter=%v", noSPF), func(t *testing.T) {
			ctx := testContext(t, 90*time.Second)
			z, err := spftest.NewZone(strings.NewReader(victimZone), ".")
			require.NoError(t, err)
			b, _ := newBed(t, bedOptions{zone: z, noSPF: noSPF})
			for i, helo := range helos {
				rawSend(ctx, t, b.pf.SMTPAddr(), helo, "victim@victim.example", original(fmt.Sprintf("planted%d", i), "victim@victim.example", planted...))
			}
			b.settle(ctx, t)
			assert.Empty(t, b.dsnsTo(t, "victim@victim.example"), "a DSN reached the forged victim: %s", b.log)
			assert.Equal(t, len(helos), strings.Count(b.log.String(), "decision.reason=spf-fail"), b.log.String())
		})
	}
}

// TestE2ESuccessReport: NOTIFY=SUCCESS to a local user (Postfix's trace
// service writes a success report, "expanded" for a user behind
// aliases): the genuine sender gets it, the
// forged one does not (SPF fail), as with failures.
func TestE2ESuccessReport(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	b, _ := newBed(t, bedOptions{})
	success := func(env *postfixtest.Envelope) {
		env.To = []string{postfixtest.DefaultUser + "@" + postfixtest.DefaultDomain}
		env.Rcpt.Notify = []smtp.DSNNotify{smtp.DSNNotifySuccess}
	}
	b.send(ctx, t, "alice@genuine.example", original("success", "alice@genuine.example"), success)
	b.send(ctx, t, "mallory@forged.example", original("success-forged", "mallory@forged.example"), success)
	b.settle(ctx, t)
	got := b.dsnsTo(t, "alice@genuine.example")
	require.Len(t, got, 1, "the success report: %s", b.log)
	require.Len(t, got[0].report.Recipients, 1)
	assert.Contains(t, []dsn.Action{dsn.ActionDelivered, dsn.ActionExpanded, dsn.ActionRelayed}, got[0].report.Recipients[0].Action)
	assert.Empty(t, b.dsnsTo(t, "mallory@forged.example"))
	assert.Contains(t, b.log.String(), "decision.reason=spf-fail")
}

// TestE2EMilterDropsMidMessage: the milter's connection is cut in the
// middle of a DSN (at the end of its header): Postfix applies
// milter_default_action = tempfail, the original stays queued, no DSN
// leaves undecided; once the real milter serves, a flush brings exactly
// one, decided.
func TestE2EMilterDropsMidMessage(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	b, addr := newBed(t, bedOptions{down: true})
	ln, err := net.Listen("tcp4", addr)
	require.NoError(t, err)
	cut := make(chan struct{}, 16)
	srv := milter.NewServer(milter.WithMilter(func() milter.Milter { return &cutter{cut: cut} }))
	go func() { _ = srv.Serve(ln) }()
	from := "alice@genuine.example"
	b.send(ctx, t, from, original("cut", from), nil)
	select {
	case <-cut:
	case <-ctx.Done():
		t.Fatal("Postfix never reached the milter")
	}
	q := waitDeferred(ctx, t, b.pf)
	require.Len(t, q, 1)
	assert.Empty(t, b.sink.Messages(), "nothing left undecided")
	require.NoError(t, srv.Close())

	b.startMilter(t, addr)
	require.NoError(t, b.pf.Flush(ctx))
	b.settle(ctx, t)
	got := b.dsnsTo(t, from)
	require.Len(t, got, 1)
	assert.Equal(t, "bounce; reason=spf-pass", got[0].topField(headerName))
}

// cutter is a milter that fails at the end of the header: go-milter then
// closes the connection, in the middle of the message.
type cutter struct {
	milter.NoOpMilter
	cut chan<- struct{}
}

func (c *cutter) Headers(milter.Modifier) (*milter.Response, error) {
	select {
	case c.cut <- struct{}{}:
	default:
	}
	return nil, errors.New("cut mid-message")
}
