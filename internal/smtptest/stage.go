package smtptest

import (
	"errors"
	"fmt"
)

// A Stage is the point of an SMTP session where a Hook or Fail answers.
type Stage int

const (
	// StageHello is the first EHLO or HELO; the argument is the client's
	// name. The greeting before it always succeeds.
	StageHello Stage = iota
	// StageMail is MAIL FROM; the argument is the reverse path, "" for
	// the null path.
	StageMail
	// StageRcpt is each RCPT TO; the argument is the forward path.
	StageRcpt
	// StageData is the message data; the argument is "". An error is the
	// reply after the final dot, except ErrDrop, which closes the
	// connection once some data has arrived, and ErrStall.
	StageData
)

// String names the stage as the SMTP command it stands for.
func (s Stage) String() string {
	switch s {
	case StageHello:
		return "EHLO"
	case StageMail:
		return "MAIL"
	case StageRcpt:
		return "RCPT"
	case StageData:
		return "DATA"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// A Hook decides how the sink answers one command: nil accepts it, an
// *smtp.SMTPError is the reply (a 421 also closes the connection, RFC 5321
// §3.8), ErrDrop closes the connection without a reply and ErrStall never
// answers. Any other error is a 451 or 554 reply chosen by go-smtp. A Hook
// may be called from several connections at once.
type Hook func(stage Stage, arg string) error

var (
	// ErrDrop makes the sink close the connection without a reply, as a
	// crashed server or a broken network would. At StageData it waits
	// for the first bytes of the message, so the drop is mid-DATA.
	ErrDrop = errors.New("smtptest: drop the connection")
	// ErrStall makes the sink never answer the command: the client waits
	// until its own timeout or until the sink stops.
	ErrStall = errors.New("smtptest: never answer")
)
