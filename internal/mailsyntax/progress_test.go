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
