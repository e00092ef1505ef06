package spf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// RFC 7208 §2.6, §9.1: the result names, case-insensitive.
func TestParseResult(t *testing.T) {
	for _, r := range []spf.Result{spf.None, spf.Neutral, spf.Pass, spf.Fail, spf.SoftFail, spf.TempError, spf.PermError} {
		got, err := spf.ParseResult(string(r))
		assert.NoError(t, err)
		assert.Equal(t, r, got)
	}
	got, err := spf.ParseResult(" SoftFail ")
	assert.NoError(t, err)
	assert.Equal(t, spf.SoftFail, got)

	for _, s := range []string{"", "passed", "unknown", "hardfail"} {
		_, err := spf.ParseResult(s)
		assert.ErrorIs(t, err, spf.ErrUnknownResult, s)
	}
}
