package dsn

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// composeTwice composes r twice with opts and returns both messages.
func composeTwice(t *testing.T, r *Report, opts ComposeOptions) (first, second []byte) {
	t.Helper()
	var a, b bytes.Buffer
	_, err := Compose(&a, r, bytes.NewReader([]byte(testOriginal)), opts)
	require.NoError(t, err)
	_, err = Compose(&b, r, bytes.NewReader([]byte(testOriginal)), opts)
	require.NoError(t, err)
	return a.Bytes(), b.Bytes()
}

// TestSettledComposesAlike: settled options compose the same message each
// time; the random boundary and Message-ID and a ticking clock otherwise
// make each one new.
func TestSettledComposesAlike(t *testing.T) {
	tick := time.Date(2026, 11, 27, 10, 30, 0, 0, testZone)
	opts := ComposeOptions{Ret: RetFull, Now: func() time.Time {
		tick = tick.Add(time.Second)
		return tick
	}, Text: func(w io.Writer, _ *Report) error {
		_, err := fmt.Fprintf(w, "Written at %s.", tick)
		return err
	}}
	first, second := composeTwice(t, failureReport(), opts)
	require.NotEqual(t, first, second)

	r := failureReport()
	settled, err := opts.Settled(r)
	require.NoError(t, err)
	first, second = composeTwice(t, r, settled)
	assert.Equal(t, string(first), string(second))
	back := readBackDSN(t, first)
	assert.Equal(t, "<"+settled.MessageID()+">", back.header.Get("Message-ID"))
	assert.Contains(t, back.header.Get("Content-Type"), settled.Boundary)
}

// TestSettledKeepsWhatIsGiven: a report's own Message-ID and Date, and a
// given boundary, stay as they are.
func TestSettledKeepsWhatIsGiven(t *testing.T) {
	r := failureReport()
	r.MessageID = "<given@mx.hosted.example>"
	r.Date = time.Date(2026, 11, 27, 11, 0, 0, 0, testZone)
	opts := testOptions()
	settled, err := opts.Settled(r)
	require.NoError(t, err)
	assert.Equal(t, opts.Boundary, settled.Boundary)
	first, _ := composeTwice(t, r, settled)
	want, _ := composeTwice(t, r, opts)
	assert.Equal(t, string(want), string(first))

	_, err = ComposeOptions{Boundary: "bad boundary"}.Settled(r)
	assert.ErrorIs(t, err, ErrInvalidField)
}
