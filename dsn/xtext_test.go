package dsn

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 3461 §4: xtext, "+" and two uppercase hex digits for every byte
// outside "!" to "~" and for "+" and "=".
func TestXtextRFC3461Section4(t *testing.T) {
	tests := []struct{ decoded, encoded string }{
		{"", ""},
		{"bob@example.org", "bob@example.org"},
		{"bob+tag@example.org", "bob+2Btag@example.org"},
		{"a=b", "a+3Db"},
		{"a b", "a+20b"},
		{"tab\there", "tab+09here"},
		{"line\r\nbreak", "line+0D+0Abreak"},
		{"\x00", "+00"},
		{"\x7f", "+7F"},
		{"é", "+C3+A9"},
		{"~!", "~!"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.encoded, EncodeXtext(tt.decoded), "encode %q", tt.decoded)
		got, err := DecodeXtext(tt.encoded)
		require.NoError(t, err, tt.encoded)
		assert.Equal(t, tt.decoded, got, "decode %q", tt.encoded)
	}
}

func TestDecodeXtextLenient(t *testing.T) {
	// Lowercase hex digits and a bare "=" are accepted from sloppy senders.
	got, err := DecodeXtext("a+2bb=c")
	require.NoError(t, err)
	assert.Equal(t, "a+b=c", got)
}

func TestDecodeXtextRejectsRFC3461Section4(t *testing.T) {
	for _, in := range []string{"+", "+2", "a+", "+G0", "+0G", "+ 1", "a b", "a\tb", "a\nb", "\x00", "\x7f", "é", "+2"} {
		_, err := DecodeXtext(in)
		require.Error(t, err, "%q", in)
		assert.True(t, errors.Is(err, ErrInvalidField), "%q", in)
		assert.Contains(t, err.Error(), "RFC 3461 §4", "%q", in)
	}
}

// RFC 6533 §3: the utf-8 address type, with \x{HEX} escapes.
func TestUTF8AddrRFC6533Section3(t *testing.T) {
	tests := []struct{ decoded, encoded string }{
		{"bob@example.org", "bob@example.org"},
		{"élodie@example.org", `\x{E9}lodie@example.org`},
		{"用户@例子.广告", `\x{7528}\x{6237}@\x{4F8B}\x{5B50}.\x{5E7F}\x{544A}`},
		{"a+b=c@x", `a\x{2B}b\x{3D}c@x`},
		{`a\b@x`, `a\x{5C}b@x`},
		{"a b@x", `a\x{20}b@x`},
		{"😀@x", `\x{1F600}@x`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.encoded, EncodeUTF8Addr(tt.decoded), "encode %q", tt.decoded)
		got, err := DecodeUTF8Addr(tt.encoded)
		require.NoError(t, err, tt.encoded)
		assert.Equal(t, tt.decoded, got, "decode %q", tt.encoded)
	}
	// The unitext form: raw UTF-8 is kept.
	got, err := DecodeUTF8Addr(`用户\x{40}例子.广告`)
	require.NoError(t, err)
	assert.Equal(t, "用户@例子.广告", got)

	for _, in := range []string{`\x{}`, `\x{110000}`, `\x{D800}`, `\x{0A}`, `\x{0}`, `\x{1234567}`, `\x{GG}`, `\x{41`, "a\nb", "a\x00", "\xff", "\u0085"} {
		_, err := DecodeUTF8Addr(in)
		require.Error(t, err, "%q", in)
		assert.True(t, errors.Is(err, ErrInvalidField), "%q", in)
	}
}
