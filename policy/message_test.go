package policy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/faultio"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// writeOut returns what m.WriteTo writes: Size bytes.
func writeOut(t *testing.T, m *Message) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	require.Equal(t, m.Size, n, "Size is what WriteTo writes")
	return b.Bytes()
}

// composed is the DSN of ev as dsn.Compose alone writes it, with p's
// options, returning msg.
func composed(t *testing.T, p *Policy, ev Event, msg []byte) string {
	t.Helper()
	var r dsn.Report
	p.report(&r, &ev, ev.Recipients, ev.ReturnPath)
	var b bytes.Buffer
	_, err := dsn.Compose(&b, &r, bytes.NewReader(msg), p.composeOptions(ev.Ret))
	require.NoError(t, err)
	return b.String()
}

// fullEvent is a bounce with RET=FULL of msg, counting the opens.
func fullEvent(msg []byte, opens *int) Event {
	ev := testEvent()
	ev.SPF, ev.Ret = spf.Pass, dsn.RetFull
	ev.Original = func() (io.ReadCloser, error) {
		*opens++
		return OriginalBytes(msg)()
	}
	return ev
}

// decideDSN decides ev by p, which must give a DSN.
func decideDSN(t *testing.T, p *Policy, ev Event) *Message {
	t.Helper()
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.DSN)
	return d.DSN
}

// streamedDSN decides a bounce returning msg without a size limit, held
// over the limit of what a Message holds: composed again as WriteTo writes
// it, from what Event.Original gives after the decision, reopen.
func streamedDSN(t *testing.T, msg []byte, reopen func() (io.ReadCloser, error)) *Message {
	t.Helper()
	opens := 0
	ev := fullEvent(msg, &opens)
	first := ev.Original
	ev.Original = func() (io.ReadCloser, error) {
		if opens == 0 {
			return first()
		}
		return reopen()
	}
	p := testPolicy(nil)
	p.ReturnSizeLimit = -1
	m := decideDSN(t, p, ev)
	require.Nil(t, m.Data)
	return m
}

// TestMessageHeld: a DSN within the limit is held in Data, which is what
// WriteTo writes and what dsn.Compose writes.
func TestMessageHeld(t *testing.T) {
	msg := bigOriginal(40 << 10)
	opens := 0
	ev := fullEvent(msg, &opens)
	p := testPolicy(nil)
	m := decideDSN(t, p, ev)
	require.NotNil(t, m.Data)
	assert.Equal(t, dsn.ReturnFull, m.Returned)
	assert.Equal(t, string(m.Data), string(writeOut(t, m)))
	assert.Equal(t, composed(t, p, ev, msg), string(m.Data))
	assert.Equal(t, 1, opens, "held, the message needs the original no more")
}

// TestMessageStreamed: without a limit, a DSN that returns an original of
// over 1 MiB is not held: each WriteTo composes it again, reading the
// original again, and writes what dsn.Compose writes, the same each time,
// though decisions that follow reuse the memory Decide composed it in.
func TestMessageStreamed(t *testing.T) {
	msg := bigOriginal(heldOverLimit + 64<<10)
	opens := 0
	ev := fullEvent(msg, &opens)
	p := testPolicy(nil)
	p.ReturnSizeLimit = -1
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.DSN)
	assert.Nil(t, d.DSN.Data)
	assert.Equal(t, dsn.ReturnFull, d.DSN.Returned)
	assert.Equal(t, 1, opens, "Decide reads the original once")

	other := testEvent()
	other.SPF, other.Recipients[0].Address = spf.Pass, "carol@hosted.example"
	_, err = p.Decide(context.Background(), other)
	require.NoError(t, err)

	assert.Equal(t, composed(t, p, ev, msg), string(writeOut(t, d.DSN)))
	assert.Equal(t, 2, opens, "WriteTo reads it again")
}

// TestMessageStreamedSettled: a streamed DSN with a random boundary and
// Message-ID and the clock's date is the same message at each WriteTo:
// Decide settled them.
func TestMessageStreamedSettled(t *testing.T) {
	opens := 0
	ev := fullEvent(bigOriginal(heldOverLimit+64<<10), &opens)
	now := testNow
	p := &Policy{ReportingMTA: "mx.hosted.example", ReturnSizeLimit: -1, Now: func() time.Time {
		now = now.Add(time.Second)
		return now
	}}
	m := decideDSN(t, p, ev)
	require.Nil(t, m.Data)
	first := writeOut(t, m)
	assert.Equal(t, string(first), string(writeOut(t, m)))
	r, err := dsn.Parse(bytes.NewReader(first))
	require.NoError(t, err)
	assert.Equal(t, dsn.ReturnFull, r.Returned)
	assert.Equal(t, "<lunch-1@example.org>", r.ReturnedHeader.Get("Message-ID"))
}

// TestMessageStreamedErrors: WriteTo fails when the original cannot be
// opened again, or reads differently than when Decide composed the DSN.
func TestMessageStreamedErrors(t *testing.T) {
	msg := bigOriginal(heldOverLimit + 64<<10)
	errGone := errors.New("queue file gone")
	for _, tt := range []struct {
		name   string
		reopen func() (io.ReadCloser, error)
		want   error
	}{
		{"gone", func() (io.ReadCloser, error) { return nil, errGone }, errGone},
		{"changed", OriginalBytes(append(msg, "one more line\r\n"...)), errOriginalChanged},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streamedDSN(t, msg, tt.reopen).WriteTo(io.Discard)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// endlessOriginal is msg, then lines for ever.
type endlessOriginal struct{ msg []byte }

func (e *endlessOriginal) Read(p []byte) (int, error) {
	if len(e.msg) > 0 {
		n := copy(p, e.msg)
		e.msg = e.msg[n:]
		return n, nil
	}
	for i := range p {
		p[i] = "more text\r\n"[i%11]
	}
	return len(p), nil
}

func (*endlessOriginal) Close() error { return nil }

// TestDecideOriginalStalls: an original that stops progressing once its
// header is read fails the decision with io.ErrNoProgress, not a hang,
// though the replay of the held header hands the rest of it to Compose.
func TestDecideOriginalStalls(t *testing.T) {
	msg := bigOriginal(heldOverLimit + 64<<10)
	ev := fullEvent(msg, new(int))
	ev.Original = func() (io.ReadCloser, error) {
		return io.NopCloser(faultio.Stall(bytes.NewReader(msg), 200<<10)), nil
	}
	p := testPolicy(nil)
	p.ReturnSizeLimit = -1
	faultio.NoHang(t, func() {
		_, err := p.Decide(context.Background(), ev)
		assert.ErrorIs(t, err, io.ErrNoProgress)
	})
}

// TestMessageStreamedOriginalGrows: a streamed DSN whose original reads
// on past its length at WriteTo, for ever, fails once WriteTo has written
// Size bytes, rather than writing on.
func TestMessageStreamedOriginalGrows(t *testing.T) {
	msg := bigOriginal(heldOverLimit + 64<<10)
	m := streamedDSN(t, msg, func() (io.ReadCloser, error) { return &endlessOriginal{msg: msg}, nil })
	faultio.NoHang(t, func() {
		n, err := m.WriteTo(io.Discard)
		assert.ErrorIs(t, err, errOriginalChanged)
		assert.LessOrEqual(t, n, m.Size)
	})
}

// shortWriter writes one byte less than it is given, without an error,
// which io.Writer forbids.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return max(len(p)-1, 0), nil }

// TestMessageShortWrite: WriteTo of a held message to a writer that
// writes less than it was given fails with io.ErrShortWrite, as io.Copy
// would, and as a streamed one does.
func TestMessageShortWrite(t *testing.T) {
	for name, size := range map[string]int{"held": 40 << 10, "streamed": heldOverLimit + 64<<10} {
		t.Run(name, func(t *testing.T) {
			ev := fullEvent(bigOriginal(size), new(int))
			p := testPolicy(nil)
			p.ReturnSizeLimit = -1
			m := decideDSN(t, p, ev)
			n, err := m.WriteTo(shortWriter{})
			assert.ErrorIs(t, err, io.ErrShortWrite)
			assert.Less(t, n, m.Size)
		})
	}
}

// TestOriginalOpensNothing: an Event.Original that returns neither a
// reader nor an error, at Decide or at WriteTo, is an error, not a panic.
func TestOriginalOpensNothing(t *testing.T) {
	nothing := func() (io.ReadCloser, error) { return nil, nil }
	ev := fullEvent([]byte(originalMessage), new(int))
	ev.Original = nothing
	_, err := testPolicy(nil).Decide(context.Background(), ev)
	assert.ErrorIs(t, err, errNoReader)

	_, err = streamedDSN(t, bigOriginal(heldOverLimit+64<<10), nothing).WriteTo(io.Discard)
	assert.ErrorIs(t, err, errNoReader)
}

// TestDecideEndlessOriginal: without a return size limit, an original
// that reads on for ever makes a DSN that never ends; Decide gives up
// when ctx ends rather than composing it for ever.
func TestDecideEndlessOriginal(t *testing.T) {
	ev := fullEvent(nil, new(int))
	ev.Original = func() (io.ReadCloser, error) { return &endlessOriginal{msg: []byte(originalMessage)}, nil }
	p := testPolicy(nil)
	p.ReturnSizeLimit = -1
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	faultio.NoHang(t, func() {
		_, err := p.Decide(ctx, ev)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// invalidCount reads r, but its read number at returns n, outside what
// io.Reader allows.
type invalidCount struct {
	r         io.Reader
	reads, at int
	n         int
}

func (c *invalidCount) Read(p []byte) (int, error) {
	c.reads++
	n, err := c.r.Read(p)
	if c.reads == c.at {
		n = c.n
	}
	return n, err
}

func (*invalidCount) Close() error { return nil }

// TestDecideOriginalInvalidCount: an original whose reader returns a
// count io.Reader forbids, while the header is scanned, returned or
// streamed, fails the decision; it does not panic, nor compose a DSN that
// lacks bytes of the original.
func TestDecideOriginalInvalidCount(t *testing.T) {
	msg := bigOriginal(200 << 10)
	for _, n := range []int{-1, 1 << 30} {
		for at := 1; at <= 3; at++ {
			ev := fullEvent(msg, new(int))
			ev.Original = func() (io.ReadCloser, error) { return &invalidCount{r: bytes.NewReader(msg), at: at, n: n}, nil }
			p := testPolicy(nil)
			p.ReturnSizeLimit = -1
			require.NotPanics(t, func() {
				_, err := p.Decide(context.Background(), ev)
				assert.ErrorIs(t, err, mailsyntax.ErrInvalidRead, "count %d at read %d", n, at)
			}, "count %d at read %d", n, at)
		}
	}
}
