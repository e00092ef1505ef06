package policy

import (
	"bytes"
	"context"
)

// spool takes in a message as it is composed: it holds up to max bytes
// and, past that, lets them go and only counts. It starts in a buffer it
// reuses, room; when that is too small it grows at once to want bytes,
// the size expected, rather than by doubling.
type spool struct {
	room []byte
	buf  []byte
	want int
	max  int64
	n    int64
	own  bool // buf is memory of its own, not room
	// ctx is the decision's: a message that goes on for ever, from an
	// original that does, without a size limit, ends with it.
	ctx context.Context
}

// ctxCheck is how often Write sees whether ctx has ended, in bytes.
const ctxCheck = 1 << 20

// reset readies s for a message of about want bytes, to hold up to max.
func (s *spool) reset(want int, max int64) {
	*s = spool{room: s.room, buf: s.room[:0], want: want, max: max, ctx: s.ctx}
}

func (s *spool) Write(p []byte) (int, error) {
	if s.ctx != nil && (s.n+int64(len(p)))/ctxCheck != s.n/ctxCheck {
		if err := ctxErr(s.ctx); err != nil {
			return 0, err
		}
	}
	s.n += int64(len(p))
	switch {
	case s.n > s.max:
		s.buf = nil
	case len(s.buf)+len(p) > cap(s.buf):
		nb := make([]byte, len(s.buf), max(s.want, 2*cap(s.buf), len(s.buf)+len(p)))
		copy(nb, s.buf)
		s.buf, s.own = append(nb, p...), true
	default:
		s.buf = append(s.buf, p...)
	}
	return len(p), nil
}

// held reports whether s holds the whole message.
func (s *spool) held() bool { return s.n <= s.max }

// message returns the message held, in memory of its own and of about its
// size: the buffer itself when it grew to fit, else a copy.
func (s *spool) message() []byte {
	if s.own && cap(s.buf)-len(s.buf) <= len(s.buf)/16 {
		return s.buf
	}
	return bytes.Clone(s.buf)
}
