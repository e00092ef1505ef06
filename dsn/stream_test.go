package dsn

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallReader reads n bytes of r, then returns 0, nil for ever.
type stallReader struct {
	r io.Reader
	n int
}

func (s *stallReader) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, nil
	}
	n, err := s.r.Read(p[:min(len(p), s.n)])
	s.n -= n
	return n, err
}

// noHang fails t when f takes longer than a generous while.
func noHang(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hangs")
	}
}

// TestComposeStreamNoProgress: an original that stops progressing while
// it streams, past what Compose reads before it writes (no size limit),
// is an error, as it is while the header is read, not a hang.
func TestComposeStreamNoProgress(t *testing.T) {
	orig := testOriginal + strings.Repeat("body line here\r\n", 5000)
	noHang(t, func() {
		_, err := Compose(io.Discard, failureReport(), &stallReader{r: strings.NewReader(orig), n: 20000}, ComposeOptions{Ret: RetFull})
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
