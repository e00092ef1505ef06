package policyjson

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

func TestLoad(t *testing.T) {
	p, err := Load(strings.NewReader(`{"mode": "spf-gated", "on_spf": {"softfail": "bounce"}, "postmaster": "pm@ops.example",
		"notice_on": [], "defer_for": "1h", "trust_recorded_headers": true, "authserv_id": "mx.hosted.example"}`))
	require.NoError(t, err)
	assert.Equal(t, policy.Bounce, p.OnSPF[spf.SoftFail])
	assert.Equal(t, "pm@ops.example", p.Postmaster)
	assert.Equal(t, []policy.Reason{}, p.NoticeOn)
	assert.Equal(t, time.Hour, p.DeferFor)
	assert.True(t, p.TrustRecordedHeaders)

	for in, want := range map[string]string{
		`{"mode": "sometimes"}`:          `policy: mode: unknown mode "sometimes"`,
		`{"defer_for": "soon"}`:          `policy: defer_for: "soon" is not a duration`,
		`{"notice_on": ["spf-bogus"]}`:   `policy: notice_on: "spf-bogus" is no reason for a drop`,
		`{"Mode": "always"}`:             `policy: unknown key "Mode"`,
		`{"mode": "always", "mode": ""}`: `policy: duplicate key "mode"`,
		`{"postmaster": 1}`:              `policy: postmaster: want a string, not 1`,
		`{} {}`:                          `policy: data after the JSON object`,
		`{`:                              `policy: not JSON: unexpected end of input`,
	} {
		_, err := Load(strings.NewReader(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
