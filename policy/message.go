package policy

import (
	"errors"
	"fmt"
	"io"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// Message is a message to send: its envelope, and its content, which
// WriteTo writes.
//
// A message is held in memory, in Data, unless it returns the original in
// full and is larger than the return size limit (Policy.ReturnSizeLimit)
// plus 1 MiB, or 1 MiB with no limit: then Data is nil, and each WriteTo
// composes the message anew, reading Event.Original again, so that a
// server can spool a large DSN without holding it. Either way WriteTo
// writes the same message, byte for byte: Decide composed it once
// already, and settled its Date, Message-ID and boundary.
type Message struct {
	MailFrom string              // the envelope sender: "", the null reverse path, but for a reply with ReplyEvent.MailFrom
	RcptTo   string              // the only envelope recipient
	Returned dsn.ReturnedContent // how much of the original it carries
	// Omitted says why the original is not returned although there is
	// one (it could not be composed into a report); "" otherwise.
	Omitted string
	Size    int64  // the message's length in bytes, held or not
	Data    []byte // the message, CRLF line endings; nil when not held

	compose *composition // what WriteTo composes when Data is nil
}

// composition is what a message not held in memory is composed from.
type composition struct {
	report   *dsn.Report
	opts     dsn.ComposeOptions            // settled: the same message each time
	original func() (io.ReadCloser, error) // nil when the message returns none of it
}

// errOriginalChanged says the original read differently on WriteTo than
// when Decide composed the message.
var errOriginalChanged = errors.New("policy: the original changed since the decision")

// WriteTo writes the message to w, with CRLF line endings, and returns
// the bytes written (io.WriterTo). For a message not held in Data, it
// reads Event.Original again, and its errors are those of opening and
// reading it, and an error when the original no longer makes the message
// Decide composed (its length or what it returns differ): w then holds a
// message unfit to send. It never writes more than Size bytes.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	if m.compose == nil {
		n, err := w.Write(m.Data)
		if err == nil && n < len(m.Data) {
			err = io.ErrShortWrite
		}
		return int64(n), err
	}
	c := m.compose
	var src io.Reader
	if c.original != nil {
		rc, err := openOriginal(c.original)
		if err != nil {
			return 0, fmt.Errorf("policy: opening the original: %w", err)
		}
		defer rc.Close()
		src = rc
	}
	cw := countingWriter{w: w, max: m.Size}
	env, err := dsn.Compose(&cw, c.report, src, c.opts)
	switch {
	case err != nil:
		err = fmt.Errorf("policy: composing the message to <%s>: %w", m.RcptTo, err)
	case env.Size != m.Size || env.Returned != m.Returned:
		err = errOriginalChanged
	}
	return cw.n, err
}

// countingWriter counts the bytes written through it, and refuses those
// past max, the message's Size: an original that reads on for ever must
// not have WriteTo write for ever.
type countingWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	over := int64(len(p)) > cw.max-cw.n
	if over {
		p = p[:cw.max-cw.n]
	}
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err == nil && over {
		err = errOriginalChanged
	}
	return n, err
}

// omission says why the original is not returned, if that is so.
func (m *Message) omission() string {
	if m.Omitted == "" {
		return ""
	}
	return " without the original (" + m.Omitted + ")"
}
