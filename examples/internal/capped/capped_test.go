package capped

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReader(t *testing.T) {
	b, err := io.ReadAll(Reader(strings.NewReader("abc"), 3))
	require.NoError(t, err)
	require.Equal(t, "abc", string(b))

	_, err = io.ReadAll(Reader(strings.NewReader(strings.Repeat("x", 2<<20+1)), 2<<20))
	require.EqualError(t, err, "larger than 2 MiB")
}
