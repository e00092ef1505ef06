package policyjson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

func TestRead(t *testing.T) {
	pol, err := Read(strings.NewReader(`{"mode": "spf-gated", "on_spf": {"softfail": "bounce"},
		"postmaster": "postmaster@hosted.example", "notice_on": ["spf-fail"], "defer_for": "2h",
		"bounce_limit": {"max": 10, "window": "1h"}}`))
	require.NoError(t, err)
	assert.Equal(t, policy.ModeSPFGated, pol.Mode)
	assert.Equal(t, map[spf.Result]policy.Outcome{spf.SoftFail: policy.Bounce}, pol.OnSPF)
	assert.Equal(t, "postmaster@hosted.example", pol.Postmaster)
	assert.Equal(t, []policy.Reason{policy.ReasonSPFFail}, pol.NoticeOn)
	assert.Equal(t, 2*time.Hour, pol.DeferFor)
	assert.Equal(t, policy.Limit{Max: 10, Window: time.Hour}, pol.BounceLimit)

	pol, err = Read(strings.NewReader(`{"notice_on": []}`))
	require.NoError(t, err)
	assert.Equal(t, []policy.Reason{}, pol.NoticeOn, "[] means no notices, unlike an absent key")
}

func TestReadErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"mdoe": "always"}`:        `policy: unknown key "mdoe"`,
		`{"defer_for": "soon"}`:     `policy: defer_for: "soon" is not a duration`,
		`{"mode": "sometimes"}`:     `policy: `,
		`{"postmaster": 1}`:         `policy: postmaster: want a string, not 1`,
		`{"mode": "always"} {}`:     `policy: data after the JSON object`,
		`{"mode": "always", "mode"`: `policy: duplicate key "mode"`,
	} {
		_, err := Read(strings.NewReader(in))
		assert.ErrorContains(t, err, want, in)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(name, []byte(`{"mode": "always", "postmaster": "postmaster@hosted.example"}`), 0o600))
	f, err := ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "always", f.Mode)
	assert.Equal(t, "postmaster@hosted.example", f.Postmaster)

	for content, want := range map[string]string{
		`{"mdoe": "always"}`:    `: policy: unknown key "mdoe"`,
		`{"defer_for": "soon"}`: `: policy: defer_for: "soon" is not a duration`,
	} {
		require.NoError(t, os.WriteFile(name, []byte(content), 0o600))
		_, err := ReadFile(name)
		require.ErrorIs(t, err, cmdflag.ErrUsage, content)
		assert.True(t, strings.HasPrefix(err.Error(), "-policy "+name+want), "%s: %v", content, err)
	}
	_, err = ReadFile(filepath.Join(dir, "absent"))
	require.ErrorIs(t, err, cmdflag.ErrUsage)
	assert.True(t, strings.HasPrefix(err.Error(), "-policy: open "), err.Error())
}
