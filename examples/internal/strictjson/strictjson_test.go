package strictjson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sample struct {
	Name  string   `json:"name"`
	Count int64    `json:"count"`
	On    *bool    `json:"on"`
	Tags  []string `json:"tags"`
	Inner struct {
		X string `json:"x"`
	} `json:"inner"`
}

func TestDecode(t *testing.T) {
	var s sample
	require.NoError(t, Decode(strings.NewReader(`{"name": "a", "count": 3, "on": false, "tags": ["t"], "inner": {"x": "y"}}`), &s))
	assert.Equal(t, "a", s.Name)
	assert.Equal(t, int64(3), s.Count)
	require.NotNil(t, s.On, "a pointer tells a key given from one left out")
	assert.Equal(t, []string{"t"}, s.Tags)
	assert.Equal(t, "y", s.Inner.X)
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"Name": "a"}`:             `unknown key "Name"`,
		`{"name": "a", "name": ""}`: `duplicate key "name"`,
		`{"count": 1.5}`:            `count: want an integer, not 1.5`,
		`{"name": null}`:            `name: want a string, not null`,
		`{"inner": {"z": 1}}`:       `inner: unknown key "z"`,
		`{"tags": [1]}`:             `tags[0]: want a string, not 1`,
		`{} []`:                     `data after the JSON object`,
		`{"name": "a"`:              `not JSON: unexpected end of input`,
		`{name}`:                    `not JSON: `,
	} {
		var s sample
		assert.ErrorContains(t, Decode(strings.NewReader(in), &s), want, in)
	}
}
