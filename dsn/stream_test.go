package dsn

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/internal/faultio"
)

// TestComposeStreamNoProgress: an original that stops progressing while
// it streams, past what Compose reads before it writes (no size limit),
// is an error, as it is while the header is read, not a hang.
func TestComposeStreamNoProgress(t *testing.T) {
	orig := testOriginal + strings.Repeat("body line here\r\n", 5000)
	faultio.NoHang(t, func() {
		_, err := Compose(io.Discard, failureReport(), faultio.Stall(strings.NewReader(orig), 20000), ComposeOptions{Ret: RetFull})
		assert.ErrorIs(t, err, io.ErrNoProgress)
	})
}

// shortWriter writes one byte less of each large write, without an error,
// which io.Writer forbids.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) {
	if len(p) >= outSize {
		return len(p) - 1, nil
	}
	return len(p), nil
}

// TestComposeShortWrite: a writer that writes less than it was given
// without an error fails Compose with io.ErrShortWrite, however large the
// write, rather than leaving a message with bytes missing.
func TestComposeShortWrite(t *testing.T) {
	orig := testOriginal + strings.Repeat("body line here\r\n", 5000)
	_, err := Compose(shortWriter{}, failureReport(), strings.NewReader(orig), ComposeOptions{Ret: RetFull})
	require.ErrorIs(t, err, io.ErrShortWrite)
}

// TestComposeHeaderLimitWhateverTheReads: whether a header just over
// 1 MiB, or just within it, is returned depends on its length only, not
// on how the original arrives: Message.WriteTo in package policy composes
// a large DSN again from a second read of it, which must make the same.
func TestComposeHeaderLimitWhateverTheReads(t *testing.T) {
	field := "X-Filler: " + strings.Repeat("y", 60) + "\r\n"
	for _, extra := range []int{-2, -1, 0, 1, 2, 1000} {
		// A header of maxHeaderBlock+extra bytes, before its empty line.
		pad := maxHeaderBlock + extra - len(testOriginal[:strings.Index(testOriginal, "\r\n\r\n")+2])
		fill := strings.Repeat(field, (pad-100)/len(field))
		fill += "X-Last: " + strings.Repeat("z", pad-len(fill)-10) + "\r\n"
		orig := fill + testOriginal
		require.Equal(t, maxHeaderBlock+extra, strings.Index(orig, "\r\n\r\n")+2)
		want, err := Compose(io.Discard, failureReport(), strings.NewReader(orig), ComposeOptions{})
		require.NoError(t, err)
		assert.Equal(t, extra <= 0, want.Returned == ReturnHeaders, "a header of 1 MiB%+d", extra)
		for name, r := range map[string]io.Reader{
			"one byte":  iotest.OneByteReader(strings.NewReader(orig)),
			"half":      iotest.HalfReader(strings.NewReader(orig)),
			"to the CR": io.MultiReader(strings.NewReader(orig[:maxHeaderBlock+extra+1]), strings.NewReader(orig[maxHeaderBlock+extra+1:])),
		} {
			got, err := Compose(io.Discard, failureReport(), r, ComposeOptions{})
			require.NoError(t, err)
			assert.Equal(t, want, got, "%s, a header of 1 MiB%+d", name, extra)
		}
	}
}
