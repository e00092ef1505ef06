package smtptest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

// dial connects a go-smtp client to the sink and says EHLO.
func dial(t *testing.T, s *smtptest.Sink) *smtp.Client {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c := smtp.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Hello("client.test"))
	return c
}

// send runs one transaction and returns the first error.
func send(c *smtp.Client, from string, mopts *smtp.MailOptions, to []string, ropts *smtp.RcptOptions, data string) error {
	if err := c.Mail(from, mopts); err != nil {
		return err
	}
	var rcptErr error
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, ropts); err != nil && rcptErr == nil {
			rcptErr = err
		}
	}
	if rcptErr != nil && len(to) == 1 {
		return rcptErr
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return rcptErr
}

func TestSinkRecordsEnvelopeAndDSNParameters(t *testing.T) {
	s := smtptest.NewSink(t)
	c := dial(t, s)
	ok, _ := c.Extension("DSN")
	assert.True(t, ok, "DSN offered (RFC 3461 §4)")
	ok, _ = c.Extension("SMTPUTF8")
	assert.True(t, ok, "SMTPUTF8 offered (RFC 6531 §3.1)")

	mopts := &smtp.MailOptions{UTF8: true, Return: smtp.DSNReturnHeaders, EnvelopeID: "id+1=x"}
	ropts := &smtp.RcptOptions{
		Notify:                []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed},
		OriginalRecipientType: smtp.DSNAddressTypeRFC822,
		OriginalRecipient:     "orig@example.org",
	}
	data := "Subject: hi\r\n\r\n.leading dot\r\nbody ü\r\n"
	require.NoError(t, send(c, "bob@example.org", mopts, []string{"a@example.net", "ü@example.net"}, ropts, data))

	msgs, err := s.Wait(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "client.test", m.Hello)
	assert.Equal(t, "bob@example.org", m.From)
	assert.True(t, m.MailOptions.UTF8)
	assert.Equal(t, smtp.Body8BitMIME, m.MailOptions.Body)
	assert.Equal(t, smtp.DSNReturnHeaders, m.MailOptions.Return)
	assert.Equal(t, "id+1=x", m.MailOptions.EnvelopeID, "ENVID xtext-decoded")
	require.Len(t, m.To, 2)
	assert.Equal(t, "a@example.net", m.To[0].Addr)
	assert.Equal(t, "ü@example.net", m.To[1].Addr)
	assert.Equal(t, ropts.Notify, m.To[0].Options.Notify)
	assert.Equal(t, "orig@example.org", m.To[0].Options.OriginalRecipient)
	assert.Equal(t, data, string(m.Data), "dot-stuffing undone")
	assert.False(t, m.Received.IsZero())
	assert.Equal(t, 1, s.Connections())
}

func TestSinkNullReversePathAndSecondTransaction(t *testing.T) {
	s := smtptest.NewSink(t)
	c := dial(t, s)
	require.NoError(t, send(c, "", nil, []string{"a@example.net"}, nil, "A\r\n"))
	require.NoError(t, send(c, "b@example.org", nil, []string{"c@example.net"}, nil, "B\r\n"))
	msgs := s.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "", msgs[0].From)
	assert.Equal(t, "b@example.org", msgs[1].From)
	require.Len(t, msgs[1].To, 1, "the first transaction's recipients are forgotten")
	assert.Equal(t, "c@example.net", msgs[1].To[0].Addr)
}

func TestSinkFailRepliesAtEachStage(t *testing.T) {
	for _, tc := range []struct {
		stage smtptest.Stage
		code  int
		ec    smtp.EnhancedCode
	}{
		{smtptest.StageHello, 554, smtp.EnhancedCode{5, 7, 1}},
		{smtptest.StageMail, 451, smtp.EnhancedCode{4, 3, 0}},
		{smtptest.StageMail, 550, smtp.EnhancedCode{5, 7, 1}},
		{smtptest.StageRcpt, 450, smtp.EnhancedCode{4, 2, 1}},
		{smtptest.StageRcpt, 550, smtp.EnhancedCode{5, 1, 1}},
		{smtptest.StageData, 452, smtp.EnhancedCode{4, 3, 1}},
		{smtptest.StageData, 554, smtp.EnhancedCode{5, 6, 0}},
	} {
		t.Run(fmt.Sprint(tc.stage, tc.code), func(t *testing.T) {
			s := smtptest.NewSink(t)
			s.Fail(tc.stage, &smtp.SMTPError{Code: tc.code, EnhancedCode: tc.ec, Message: "injected"})
			conn, err := net.Dial("tcp", s.Addr())
			require.NoError(t, err)
			c := smtp.NewClient(conn)
			defer c.Close()
			err = c.Hello("client.test")
			if err == nil {
				err = send(c, "b@example.org", nil, []string{"a@example.net"}, nil, "x\r\n")
			}
			var smtpErr *smtp.SMTPError
			require.ErrorAs(t, err, &smtpErr)
			assert.Equal(t, tc.code, smtpErr.Code)
			assert.Equal(t, tc.ec, smtpErr.EnhancedCode)
			assert.Equal(t, "injected", smtpErr.Message)
			assert.Empty(t, s.Messages())

			s.Fail(tc.stage, nil)
			c2 := dial(t, s)
			require.NoError(t, send(c2, "b@example.org", nil, []string{"a@example.net"}, nil, "x\r\n"))
			assert.Len(t, s.Messages(), 1, "Fail(stage, nil) clears the failure")
		})
	}
}

func TestSinkHookRefusesOneRecipient(t *testing.T) {
	s := smtptest.NewSink(t)
	s.SetHook(func(stage smtptest.Stage, arg string) error {
		if stage == smtptest.StageRcpt && strings.HasPrefix(arg, "bad@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	c := dial(t, s)
	err := send(c, "b@example.org", nil, []string{"good@example.net", "bad@example.net"}, nil, "x\r\n")
	var smtpErr *smtp.SMTPError
	require.ErrorAs(t, err, &smtpErr)
	assert.Equal(t, 550, smtpErr.Code)
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	require.Len(t, msgs[0].To, 1)
	assert.Equal(t, "good@example.net", msgs[0].To[0].Addr)
}

func TestSinkHookBeforeFail(t *testing.T) {
	s := smtptest.NewSink(t)
	s.Fail(smtptest.StageMail, &smtp.SMTPError{Code: 550, Message: "from Fail"})
	s.SetHook(func(stage smtptest.Stage, arg string) error {
		if arg == "hooked@example.org" {
			return &smtp.SMTPError{Code: 551, Message: "from hook"}
		}
		return nil
	})
	c := dial(t, s)
	var smtpErr *smtp.SMTPError
	require.ErrorAs(t, c.Mail("hooked@example.org", nil), &smtpErr)
	assert.Equal(t, 551, smtpErr.Code)
	require.ErrorAs(t, c.Mail("other@example.org", nil), &smtpErr)
	assert.Equal(t, 550, smtpErr.Code, "where the hook accepts, Fail applies")
	s.SetHook(nil)
	s.Fail(smtptest.StageMail, nil)
	assert.NoError(t, c.Mail("hooked@example.org", nil))
}

// RFC 5321 §3.8: the sink closes the connection after a 421.
func TestSink421ClosesConnection(t *testing.T) {
	for _, stage := range []smtptest.Stage{smtptest.StageHello, smtptest.StageMail, smtptest.StageRcpt, smtptest.StageData} {
		t.Run(stage.String(), func(t *testing.T) {
			s := smtptest.NewSink(t)
			s.Fail(stage, &smtp.SMTPError{Code: 421, Message: "going down"})
			conn, err := net.Dial("tcp", s.Addr())
			require.NoError(t, err)
			c := smtp.NewClient(conn)
			defer c.Close()
			err = c.Hello("client.test")
			if err == nil {
				err = send(c, "b@example.org", nil, []string{"a@example.net"}, nil, "x\r\n")
			}
			var smtpErr *smtp.SMTPError
			require.ErrorAs(t, err, &smtpErr)
			assert.Equal(t, 421, smtpErr.Code)
			assert.Equal(t, smtp.EnhancedCode{4, 0, 0}, smtpErr.EnhancedCode)
			assert.Equal(t, "going down", smtpErr.Message)
			assertClosed(t, conn)
			assert.Empty(t, s.Messages())
		})
	}
}

// assertClosed checks that the sink has closed conn: a read ends with
// EOF or a reset, not with a timeout.
func assertClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := conn.Read(make([]byte, 1))
	require.Error(t, err)
	var netErr net.Error
	assert.False(t, errors.As(err, &netErr) && netErr.Timeout(), "closed, not still open: %v", err)
}

func TestSinkDropMidData(t *testing.T) {
	s := smtptest.NewSink(t)
	s.Fail(smtptest.StageData, smtptest.ErrDrop)
	c := dial(t, s)
	err := send(c, "b@example.org", nil, []string{"a@example.net"}, nil, strings.Repeat("line\r\n", 1000))
	require.Error(t, err)
	var smtpErr *smtp.SMTPError
	assert.False(t, errors.As(err, &smtpErr), "no reply, a network error: %v", err)
	assert.Empty(t, s.Messages())
}

func TestSinkDropAtMail(t *testing.T) {
	s := smtptest.NewSink(t)
	s.Fail(smtptest.StageMail, smtptest.ErrDrop)
	c := dial(t, s)
	err := c.Mail("b@example.org", nil)
	require.Error(t, err)
	var smtpErr *smtp.SMTPError
	assert.False(t, errors.As(err, &smtpErr), "no reply, a network error: %v", err)
}

func TestSinkStallNeverAnswersAndStopReleases(t *testing.T) {
	var conn net.Conn
	t.Run("stall", func(t *testing.T) {
		s := smtptest.NewSink(t)
		s.Fail(smtptest.StageMail, smtptest.ErrStall)
		var err error
		conn, err = net.Dial("tcp", s.Addr())
		require.NoError(t, err)
		c := smtp.NewClient(conn)
		require.NoError(t, c.Hello("client.test"))
		c.CommandTimeout = 50 * time.Millisecond
		err = c.Mail("b@example.org", nil)
		var netErr net.Error
		require.ErrorAs(t, err, &netErr)
		assert.True(t, netErr.Timeout(), "no answer: the client's own timeout ends the wait")
	})
	// The subtest's cleanup stopped the sink; the stalled connection is closed.
	assertClosed(t, conn)
	conn.Close()
}

func TestSinkWithoutExtensions(t *testing.T) {
	s := smtptest.NewSink(t, smtptest.WithoutDSN(), smtptest.WithoutSMTPUTF8())
	c := dial(t, s)
	ok, _ := c.Extension("DSN")
	assert.False(t, ok)
	ok, _ = c.Extension("SMTPUTF8")
	assert.False(t, ok)
	ok, _ = c.Extension("8BITMIME")
	assert.True(t, ok, "8BITMIME is always offered")
}

func TestSinkBigMessage(t *testing.T) {
	s := smtptest.NewSink(t)
	c := dial(t, s)
	size, ok := c.MaxMessageSize()
	require.True(t, ok)
	assert.Equal(t, smtptest.MaxMessageBytes, size)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	data := "Subject: big\r\n\r\n" + strings.Repeat(line, (10<<20)/len(line))
	require.NoError(t, send(c, "b@example.org", nil, []string{"a@example.net"}, nil, data))
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	assert.True(t, bytes.Equal([]byte(data), msgs[0].Data), "10 MiB received intact")
}

func TestSinkMaxMessageBytes(t *testing.T) {
	s := smtptest.NewSink(t, smtptest.WithMaxMessageBytes(1000))
	c := dial(t, s)
	err := send(c, "b@example.org", nil, []string{"a@example.net"}, nil, strings.Repeat("0123456789\r\n", 200))
	var smtpErr *smtp.SMTPError
	require.ErrorAs(t, err, &smtpErr)
	assert.Equal(t, 552, smtpErr.Code)
	assert.Empty(t, s.Messages())
}

func TestSinkWaitEndsWithContext(t *testing.T) {
	s := smtptest.NewSink(t)
	c := dial(t, s)
	require.NoError(t, send(c, "b@example.org", nil, []string{"a@example.net"}, nil, "x\r\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs, err := s.Wait(ctx, 2)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Len(t, msgs, 1, "what arrived so far")
}

func TestSinkWaitWakesOnArrival(t *testing.T) {
	s := smtptest.NewSink(t)
	done := make(chan []smtptest.Message)
	go func() {
		msgs, _ := s.Wait(context.Background(), 2)
		done <- msgs
	}()
	c := dial(t, s)
	require.NoError(t, send(c, "b@example.org", nil, []string{"a@example.net"}, nil, "1\r\n"))
	require.NoError(t, send(c, "b@example.org", nil, []string{"a@example.net"}, nil, "2\r\n"))
	msgs := <-done
	require.Len(t, msgs, 2)
	assert.Equal(t, "2\r\n", string(msgs[1].Data))
}

func TestStageString(t *testing.T) {
	assert.Equal(t, "EHLO", smtptest.StageHello.String())
	assert.Equal(t, "MAIL", smtptest.StageMail.String())
	assert.Equal(t, "RCPT", smtptest.StageRcpt.String())
	assert.Equal(t, "DATA", smtptest.StageData.String())
	assert.Equal(t, "Stage(9)", smtptest.Stage(9).String())
}
