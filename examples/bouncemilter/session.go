package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"

	"github.com/d--j/go-milter"
)

// maxRecipients bounds the recipients a session remembers: bounce(8)
// writes each DSN to one, and more make judge tempfail anyway.
const maxRecipients = 16

// session is the milter side of one connection from bcleanup: message by
// message, the envelope and the DSN itself, held until its end. Nothing
// is shared with other sessions but the filter.
type session struct {
	milter.NoOpMilter
	f *filter

	env envelope
	msg bytes.Buffer
}

// NewConnection starts a connection afresh, also when the MTA reuses the
// milter connection.
func (s *session) NewConnection(milter.Modifier) error {
	s.resetMessage()
	return nil
}

// MailFrom takes the return path: "" for a DSN (RFC 3461 §6.2).
func (s *session) MailFrom(from, _ string, _ milter.Modifier) (*milter.Response, error) {
	s.resetMessage()
	s.env.from = milter.RemoveAngle(from)
	return milter.RespContinue, nil
}

// RcptTo takes a recipient: for a DSN, the original's return path.
func (s *session) RcptTo(rcpt, _ string, _ milter.Modifier) (*milter.Response, error) {
	if len(s.env.rcpts) < maxRecipients {
		s.env.rcpts = append(s.env.rcpts, milter.RemoveAngle(rcpt))
	} else {
		s.env.rcpts = append(s.env.rcpts[:maxRecipients], "") // one too many: judge refuses
	}
	return milter.RespContinue, nil
}

// Header adds a field to the message as read back: name, colon, value.
// The MTA gives the value without the space after the colon, folded with
// LF (RFC 5322 §2.2.3); dsn.Parse reads LF or CRLF line breaks.
func (s *session) Header(name, value string, _ milter.Modifier) (*milter.Response, error) {
	if isContentType(name) && s.env.contentType == "" {
		s.env.contentType = value
	}
	sep := ": "
	if strings.HasPrefix(value, " ") || strings.HasPrefix(value, "\t") {
		sep = ":"
	}
	s.write(name, sep, value, "\r\n")
	return milter.RespContinue, nil
}

// Headers ends the header: the empty line (RFC 5322 §2.1).
func (s *session) Headers(milter.Modifier) (*milter.Response, error) {
	s.write("\r\n")
	return milter.RespContinue, nil
}

// BodyChunk adds a piece of the body, as the MTA sends it, with CRLF.
func (s *session) BodyChunk(chunk []byte, _ milter.Modifier) (*milter.Response, error) {
	if s.room(len(chunk)) {
		s.msg.Write(chunk)
	}
	return milter.RespContinue, nil
}

// write appends parts to the message, unless it is over maxMessage.
func (s *session) write(parts ...string) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if s.room(n) {
		for _, p := range parts {
			s.msg.WriteString(p)
		}
	}
}

// room reports whether n more bytes fit in maxMessage; when they do not,
// the message is marked truncated and no more is held.
func (s *session) room(n int) bool {
	if s.env.truncated || s.msg.Len()+n > maxMessage {
		s.env.truncated = true
		return false
	}
	return true
}

// EndOfMessage decides and acts. An error closes the milter connection:
// the MTA then applies milter_default_action, tempfail.
func (s *session) EndOfMessage(m milter.Modifier) (*milter.Response, error) {
	defer s.resetMessage()
	v := s.f.judge(context.Background(), s.env, s.msg.Bytes())
	resp, err := s.carryOut(m, v)
	s.logVerdict(m, v, err)
	return resp, err
}

// carryOut does what v says to the message under way.
func (s *session) carryOut(m milter.Modifier, v verdict) (*milter.Response, error) {
	switch v.act {
	case actBounce:
		if err := m.AddHeader(headerName, policyField(v.decision)); err != nil {
			return nil, err
		}
		return milter.RespAccept, nil
	case actNotice:
		// The recipient (the return path) is replaced by the postmaster;
		// the field tells the postmaster why the DSN came to them.
		if err := m.DeleteRecipient(s.env.rcpts[0]); err != nil {
			return nil, err
		}
		if err := m.AddRecipient(s.f.pol.Postmaster, ""); err != nil {
			return nil, err
		}
		if err := m.AddHeader(headerName, policyField(v.decision)); err != nil {
			return nil, err
		}
		return milter.RespAccept, nil
	case actDiscard:
		return milter.RespDiscard, nil
	case actPass:
		return milter.RespAccept, nil
	}
	return milter.RespTempFail, nil
}

// Abort forgets the message under way; the connection goes on.
func (s *session) Abort(milter.Modifier) error {
	s.resetMessage()
	return nil
}

func (s *session) resetMessage() {
	s.env = envelope{}
	if s.msg.Cap() > 64<<10 {
		s.msg = bytes.Buffer{} // a large DSN's memory goes back
	}
	s.msg.Reset()
}

// logVerdict logs each message and what was done with it: every drop
// with its reason, so that none is silent, and every tempfail with why.
func (s *session) logVerdict(m milter.Modifier, v verdict, err error) {
	attrs := []any{"queue_id", m.Get(milter.MacroQueueId), "act", string(v.act)}
	if len(s.env.rcpts) > 0 {
		attrs = append(attrs, "rcpt", s.env.rcpts[0])
	}
	if v.decision.Action != "" {
		attrs = append(attrs, "decision", v.decision)
	}
	if v.act == actNotice {
		attrs = append(attrs, "notice_to", s.f.pol.Postmaster)
	}
	level := slog.LevelInfo
	if v.why != nil {
		attrs = append(attrs, "why", v.why.Error())
		if v.act == actTempfail {
			level = slog.LevelWarn
		}
	}
	if err != nil {
		attrs, level = append(attrs, "err", err.Error()), slog.LevelError
	}
	s.f.log.Log(context.Background(), level, "dsn", attrs...)
}
