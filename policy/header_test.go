package policy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanHeader checks the header reader on the shapes of RFC 5322 §2.2.
func TestScanHeader(t *testing.T) {
	long := strings.Repeat("x", 3000)
	tests := []struct {
		name string
		in   string
		want header
	}{
		{"fields kept in order, others skipped (RFC 5322 §3.6)",
			"Subject: hi\r\nAuto-Submitted: auto-replied\r\nReceived-SPF: pass\r\nreceived-spf: fail\r\n\r\nAuto-Submitted: body\r\n",
			header{{"Auto-Submitted", "auto-replied"}, {"Received-SPF", "pass"}, {"received-spf", "fail"}}},
		{"folded field unfolded (RFC 5322 §2.2.3)",
			"Content-Type: multipart/report;\r\n\treport-type=delivery-status;\r\n boundary=x\r\n\r\n",
			header{{"Content-Type", "multipart/report; report-type=delivery-status; boundary=x"}}},
		{"continuation of a skipped field stays skipped",
			"Subject: a\r\n Auto-Submitted: no\r\n\r\n", nil},
		{"line longer than the buffer",
			"X-Long: " + long + "\r\nContent-Type: text/plain; x=" + long + "\r\n\r\n",
			header{{"Content-Type", "text/plain; x=" + long}}},
		{"LF line endings", "Auto-Submitted: no\nContent-Type: text/plain\n\nbody\n",
			header{{"Auto-Submitted", "no"}, {"Content-Type", "text/plain"}}},
		{"no body, no final newline", "Auto-Submitted: auto-generated",
			header{{"Auto-Submitted", "auto-generated"}}},
		{"a line that is no field is skipped", "From alice Fri Nov 27\r\nAuto-Submitted: auto-replied\r\n\r\n",
			header{{"Auto-Submitted", "auto-replied"}}},
		{"obsolete space before the colon (RFC 5322 §4.5.1)", "Auto-Submitted : auto-replied\r\n\r\n",
			header{{"Auto-Submitted", "auto-replied"}}},
		{"empty message", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := scanHeader(bufio.NewReaderSize(strings.NewReader(tt.in), 16))
			require.NoError(t, err)
			assert.Equal(t, tt.want, h)
		})
	}
}

// TestIsAutomatic checks rule 4's test (RFC 3834 §5, RFC 6522 §3).
func TestIsAutomatic(t *testing.T) {
	for in, want := range map[string]bool{
		"Auto-Submitted: no":                                          false,
		"Auto-Submitted: No (a person wrote this)":                    false,
		"Auto-Submitted: auto-replied":                                true,
		"Auto-Submitted: auto-generated; owner=x":                     true,
		"Auto-Submitted:":                                             true,
		"Content-Type: multipart/report; report-type=delivery-status": true,
		"Content-Type: (a report) Multipart/Report":                   true,
		"Content-Type: multipart/mixed":                               false,
		"Subject: Auto-Submitted: auto-replied":                       false,
	} {
		h, err := scanHeader(bufio.NewReader(strings.NewReader(in + "\r\n\r\n")))
		require.NoError(t, err)
		assert.Equal(t, want, isAutomatic(h), in)
	}
}
