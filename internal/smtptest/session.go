package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// session is one connection's state: the transaction in progress.
type session struct {
	sink *Sink
	conn *smtp.Conn
	msg  Message
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{sink: s, conn: c}
	if err := sess.answer(StageHello, c.Hostname()); err != nil {
		return nil, err
	}
	return sess, nil
}

// answer asks the sink how to answer a command and carries the answer out.
func (ss *session) answer(stage Stage, arg string) error {
	return ss.carryOut(ss.sink.decide(stage, arg))
}

// carryOut returns the error for go-smtp to reply with, after carrying
// out a drop, a stall or a 421's closing.
func (ss *session) carryOut(err error) error {
	var smtpErr *smtp.SMTPError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDrop):
		ss.conn.Conn().Close()
	case errors.Is(err, ErrStall):
		<-ss.sink.stop
		ss.conn.Conn().Close()
	case errors.As(err, &smtpErr) && smtpErr.Code == 421:
		// RFC 5321 §3.8: a 421 reply is followed by closing the
		// connection. go-smtp would keep it open, so the sink writes
		// the reply itself; go-smtp's own write then fails unseen.
		ec := smtpErr.EnhancedCode
		if ec == smtp.EnhancedCodeNotSet {
			ec = smtp.EnhancedCode{4, 0, 0}
		}
		fmt.Fprintf(ss.conn.Conn(), "421 %d.%d.%d %s\r\n", ec[0], ec[1], ec[2],
			strings.ReplaceAll(smtpErr.Message, "\n", " "))
		ss.conn.Conn().Close()
	}
	return err
}

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if err := ss.answer(StageMail, from); err != nil {
		return err
	}
	ss.msg = Message{Hello: ss.conn.Hostname(), From: from}
	if opts != nil {
		ss.msg.MailOptions = *opts
	}
	return nil
}

func (ss *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if err := ss.answer(StageRcpt, to); err != nil {
		return err
	}
	r := Recipient{Addr: to}
	if opts != nil {
		r.Options = *opts
	}
	ss.msg.To = append(ss.msg.To, r)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if err := ss.sink.decide(StageData, ""); err != nil {
		var smtpErr *smtp.SMTPError
		switch {
		case errors.Is(err, ErrDrop):
			// Wait for the first bytes so the drop falls mid-DATA.
			_, _ = r.Read(make([]byte, 1))
		case errors.Is(err, ErrStall), errors.As(err, &smtpErr):
			// Read to the final dot, so that the stall or the reply
			// (which carryOut may write itself) follows the data.
			_, _ = io.Copy(io.Discard, r)
		}
		return ss.carryOut(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err // too large (552) or the connection broke
	}
	m := ss.msg
	m.Data = buf.Bytes()
	m.Received = time.Now()
	ss.sink.record(m)
	return nil
}

func (ss *session) Reset() { ss.msg = Message{} }

func (ss *session) Logout() error { return nil }
