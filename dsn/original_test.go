package dsn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// RFC 2045 §2.7 to §2.9: 7bit, 8bit, or binary for NUL or a line over 998
// bytes, with CRLF, LF and a lone CR each a line break; long enough that
// the vector check, where there is one, sees the lines between the first
// and the last.
func TestContentEncodingRFC2045Section2_8(t *testing.T) {
	lines := strings.Repeat(strings.Repeat("a", 70)+"\r\n", 30)
	long := strings.Repeat("l", 999)
	for _, tt := range []struct {
		name, body, want string
	}{
		{"CRLF lines", lines, enc7bit},
		{"no line break", "short", enc7bit},
		{"998 bytes everywhere", strings.Repeat("m", 998) + "\r\n" + lines + strings.Repeat("m", 998) + "\r\n" + lines + strings.Repeat("m", 998), enc7bit},
		{"8-bit", lines + "é\r\n" + lines, enc8bit},
		{"NUL", lines + "\x00\r\n" + lines, encBinary},
		{"long first line", long + "\r\n" + lines, encBinary},
		{"long line between", lines + long + "\r\n" + lines, encBinary},
		{"long last line", lines + long, encBinary},
		{"long line in LF lines", strings.ReplaceAll(lines, "\r", "") + long + "\n" + lines, encBinary},
		{"lone CRs break a long run", lines + strings.Repeat(strings.Repeat("c", 500)+"\r", 3) + "\n" + lines, enc7bit},
		{"LF lines", strings.ReplaceAll(lines, "\r", ""), enc7bit},
	} {
		assert.Equal(t, tt.want, contentEncoding([]byte(tt.body)), tt.name)
	}
}
