package mailsyntax

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// emptyReads returns nothing for its first empty reads, then data.
type emptyReads struct{ empty int }

func (r *emptyReads) Read(b []byte) (int, error) {
	if r.empty > 0 {
		r.empty--
		return 0, nil
	}
	return copy(b, "data"), nil
}

func TestReadSome(t *testing.T) {
	b := make([]byte, 8)
	n, err := ReadSome(&emptyReads{empty: maxEmptyReads - 1}, b)
	assert.NoError(t, err, "the last try reads")
	assert.Equal(t, "data", string(b[:n]))

	n, err = ReadSome(&emptyReads{empty: maxEmptyReads}, b)
	assert.ErrorIs(t, err, io.ErrNoProgress)
	assert.Zero(t, n)

	_, err = io.Copy(io.Discard, Progressing(&emptyReads{empty: 1 << 30}))
	assert.ErrorIs(t, err, io.ErrNoProgress, "io.Copy of a stuck reader ends")
}

// badCount returns n from its read, which io.Reader forbids outside
// 0..len(b).
type badCount struct{ n int }

func (r badCount) Read(b []byte) (int, error) { return r.n, nil }

// TestReadSomeInvalidCount: a read that returns a count outside 0 to
// len(b) is an error, not a panic (too many) or bytes silently dropped
// from what was read (negative), for ReadSome and its io.Copy alike.
func TestReadSomeInvalidCount(t *testing.T) {
	for _, n := range []int{-1, 9, 1 << 30} {
		got, err := ReadSome(badCount{n}, make([]byte, 8))
		assert.ErrorIs(t, err, ErrInvalidRead, "count %d", n)
		assert.Zero(t, got)
	}
	for _, n := range []int{-1, 1 << 30} {
		var err error
		assert.NotPanics(t, func() {
			_, err = io.Copy(io.Discard, Progressing(badCount{n}))
		})
		assert.ErrorIs(t, err, ErrInvalidRead, "count %d", n)
	}
}
