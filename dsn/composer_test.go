package dsn

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestComposerReuse: one Composer, reused across reports of every shape,
// writes what Compose writes, though it reads originals into the room
// the last one left, and keeps nothing of the last report.
func TestComposerReuse(t *testing.T) {
	body := func(n int) string { return testOriginal + strings.Repeat("a line of the body\r\n", n) }
	full := testOptions()
	full.Ret = RetFull
	limited := full
	limited.ReturnSizeLimit = 30 << 10
	var cc Composer
	for i, tt := range []struct {
		r        *Report
		original string
		opts     ComposeOptions
	}{
		{failureReport(), testOriginal, testOptions()},
		{failureReport(), body(1000), full},
		{failureReport(), body(5000), full},
		{failureReport(), body(300), full},
		{failureReport(), body(1000), limited},
		{failureReport(), body(2000), limited},
		{delayedReport(), "", testOptions()},
		{failureReport(), body(1000), full},
	} {
		var want, got bytes.Buffer
		wantEnv, err := Compose(&want, tt.r, strings.NewReader(tt.original), tt.opts)
		require.NoError(t, err)
		env, err := cc.Compose(&got, tt.r, strings.NewReader(tt.original), tt.opts)
		require.NoError(t, err)
		assert.Equal(t, wantEnv, env, "report %d", i)
		assert.Equal(t, want.String(), got.String(), "report %d", i)
		assert.Zero(t, cc.c, "report %d: the Composer holds on to it", i)
		assert.LessOrEqual(t, cap(cc.spare), maxSpare)
	}
	assert.NotZero(t, cap(cc.spare), "room kept for the next original")
}
