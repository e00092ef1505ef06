package policy

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// TestScanHeader checks the header reader on the shapes of RFC 5322 §2.2.
func TestScanHeader(t *testing.T) {
	long := strings.Repeat("x", 3000)
	tooLong := strings.Repeat("y", maxFieldLen)
	tests := []struct {
		name  string
		in    string
		trace []headerField
		auto  bool
	}{
		{"trace fields kept in order, others skipped (RFC 5322 §3.6)",
			"Subject: hi\r\nReceived: by mx\r\nReceived-SPF: pass\r\nauthentication-results: x; none\r\n\r\nReceived-SPF: body\r\n",
			[]headerField{{"Received", "by mx", false}, {"Received-SPF", "pass", false}, {"Authentication-Results", "x; none", false}}, false},
		{"folded field unfolded (RFC 5322 §2.2.3)",
			"Received-SPF: pass\r\n\treceiver=mx;\r\n identity=mailfrom\r\n\r\n",
			[]headerField{{"Received-SPF", "pass\treceiver=mx; identity=mailfrom", false}}, false},
		{"continuation of a skipped field stays skipped",
			"Subject: a\r\n Auto-Submitted: auto-replied\r\n\r\n", nil, false},
		{"line longer than the buffer",
			"X-Long: " + long + "\r\nReceived-SPF: pass x=" + long + "\r\n\r\n",
			[]headerField{{"Received-SPF", "pass x=" + long, false}}, false},
		{"over-long field marked, not kept",
			"Received: by " + tooLong + "\r\nReceived-SPF: pass\r\n\r\n",
			[]headerField{{"Received", "", true}, {"Received-SPF", "pass", false}}, false},
		{"over-long Auto-Submitted is no \"no\": automatic (RFC 3834 §5)",
			"Auto-Submitted: auto-replied " + tooLong + "\r\n\r\n", nil, true},
		{"LF line endings", "Auto-Submitted: auto-replied\nReceived: by mx\n\nbody\n",
			[]headerField{{"Received", "by mx", false}}, true},
		{"no body, no final newline", "Auto-Submitted: auto-generated", nil, true},
		{"a line that is no field is skipped", "From alice Fri Nov 27\r\nAuto-Submitted: auto-replied\r\n\r\n", nil, true},
		{"obsolete space before the colon (RFC 5322 §4.5.1)", "Auto-Submitted : auto-replied\r\n\r\n", nil, true},
		{"a lone CR breaks a line, as in dsn.Compose", "Subject: hi\rAuto-Submitted: auto-replied\r\r\nbody", nil, true},
		{"two lone CRs end the header, as in dsn.Compose", "Subject: hi\r\rAuto-Submitted: auto-replied\r\n\r\n", nil, false},
		{"empty message", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte a read: every field spans many reads.
			h, err := scan(iotest.OneByteReader(strings.NewReader(tt.in)))
			require.NoError(t, err)
			assert.Equal(t, tt.trace, h.trace)
			assert.Equal(t, tt.auto, h.automatic)

			// Without the trace fields, rule 4 reads the same.
			h, err = scanWith(strings.NewReader(tt.in), false)
			require.NoError(t, err)
			assert.Nil(t, h.trace)
			assert.Equal(t, tt.auto, h.automatic)
		})
	}
}

// scan is scanHeader over r, keeping the trace fields.
func scan(r io.Reader) (header, error) { return scanWith(r, true) }

// scanWith is scanHeader over r.
func scanWith(r io.Reader, trace bool) (header, error) {
	var fr mailsyntax.FieldReader
	fr.Reset(r, maxFieldLen, 0)
	return scanHeader(&fr, trace, nil)
}

// TestScanHeaderKeepsFewTraceFields: memory stays bounded however many
// trace fields the header holds.
func TestScanHeaderKeepsFewTraceFields(t *testing.T) {
	in := strings.Repeat("Received: by relay.example\r\n", 10*maxTraceFields) + "Auto-Submitted: auto-replied\r\n\r\n"
	h, err := scan(strings.NewReader(in))
	require.NoError(t, err)
	assert.Len(t, h.trace, maxTraceFields)
	assert.True(t, h.automatic, "scanned to the end")
}

// TestMarksAutomatic checks rule 4's test (RFC 3834 §5, RFC 6522 §3).
func TestMarksAutomatic(t *testing.T) {
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
		h, err := scan(strings.NewReader(in + "\r\n\r\n"))
		require.NoError(t, err)
		assert.Equal(t, want, h.automatic, in)
	}
}
