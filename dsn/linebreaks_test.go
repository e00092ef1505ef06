package dsn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unicodeBreaks are the non-ASCII characters a reader may take for a line
// break or a control (RFC 6855 §3): NEL, another C1 control, LINE
// SEPARATOR and PARAGRAPH SEPARATOR.
var unicodeBreaks = []rune{0x85, 0x9b, 0x2028, 0x2029}

// RFC 6855 §3, RFC 5322 §2.2: no Unicode line break or C1 control reaches
// a header line of the DSN or of its delivery-status part, in an RFC 6533
// report or a plain one: every field refuses it, naming itself.
func TestComposeRefusesUnicodeLineBreaksRFC6855Section3(t *testing.T) {
	for _, br := range unicodeBreaks {
		for _, f := range headerFields {
			if f.kind == kindBody {
				continue
			}
			for _, smtputf8 := range []bool{true, false} {
				r, opts := failureReport(), testOptions()
				r.SMTPUTF8 = smtputf8
				f.set(r, &opts, "a"+string(br)+"b")
				var buf bytes.Buffer
				_, err := Compose(&buf, r, strings.NewReader(testOriginal), opts)
				var fe *FieldError
				require.True(t, errors.As(err, &fe), "%s %U SMTPUTF8 %v: %v", f.field, br, smtputf8, err)
				assert.Equal(t, f.field, fe.Field, "%U", br)
				assert.Zero(t, buf.Len())
			}
		}
		// A utf-8 address too, in either of its forms (RFC 6533 §3).
		for _, smtputf8 := range []bool{true, false} {
			r := failureReport()
			r.SMTPUTF8 = smtputf8
			r.Recipients[0].OriginalRecipient = Address{"utf-8", "j" + string(br) + "rg@example.de"}
			fe := composeErr(t, r, "utf-8 address")
			assert.Equal(t, "Recipients[0].OriginalRecipient", fe.Field)
			want := fmt.Sprintf("%U", br)
			if br < 0x100 {
				want = fmt.Sprintf("%#02x", br)
			}
			assert.Contains(t, fe.Rule, want)
		}
	}
}

// The entry points that feed Compose refuse or replace the same
// characters, so that what they give, Compose takes.
func TestUnicodeLineBreaksBeforeComposeRFC6855Section3(t *testing.T) {
	for _, br := range unicodeBreaks {
		s := string(br)
		// A reply's breaks become spaces, as its controls do.
		st, diag := StatusFromReply("550 5.1.1 no"+s+"such"+s+"user"+s, true)
		assert.Equal(t, "550 5.1.1 no such user", diag, "%U", br)
		r := failureReport()
		r.Recipients[0].Status, r.Recipients[0].DiagnosticCode = st, diag
		_, err := Compose(io.Discard, r, nil, testOptions())
		assert.NoError(t, err, "%U", br)

		for _, orcpt := range []string{`utf-8;j\x{` + string(appendHexRune(nil, br)) + `}rg@example.de`, "utf-8;j" + s + "rg@example.de",
			"rfc822;j" + EncodeXtext(s) + "rg@example.de"} {
			_, err := ParseORCPT(orcpt)
			assert.ErrorIs(t, err, ErrInvalidField, "%q", orcpt)
		}
		_, err = DecodeUTF8Addr("j" + s + "rg@example.de")
		assert.ErrorIs(t, err, ErrInvalidField, "%U", br)
	}
}

// RFC 3464 §2.1: a run of spaces too long to fold is cut short in a
// reply's text, so Compose takes it (RFC 5322 §2.1.1).
func TestStatusFromReplyLongSpaceRunRFC5322Section2_1_1(t *testing.T) {
	for _, reply := range []string{
		"550 a" + strings.Repeat(" ", 2000) + "b",
		"550 a" + strings.Repeat(" ", 2000) + strings.Repeat("é", 600),
		"550 a" + strings.Repeat("\u2028", 1000) + "b",
	} {
		_, diag := StatusFromReply(reply, true)
		assert.True(t, strings.HasPrefix(diag, "550 a "), "%.20q", diag)
		r := failureReport()
		r.SMTPUTF8 = true
		r.Recipients[0].DiagnosticCode = diag
		rb, _, _ := composeOK(t, r, "", testOptions())
		assert.NotEmpty(t, rb.recipient(0).Get("Diagnostic-Code"))
	}
}

// RFC 5322 §2.1, RFC 2045 §6.7: a returned header that goes
// quoted-printable (NUL, or 8-bit toward a 7-bit path) keeps each of its
// line breaks. mime/quotedprintable alone takes an LF after a CR or CRLF
// and encoded bytes for the CRLF's own, so that "A: 1\r\x00\nB: 2" came
// out as the two lines "A: 1" and "=00B: 2", hiding field B.
func TestComposeQuotedPrintableHeaderLineBreaksRFC5322Section2_1(t *testing.T) {
	for name, tt := range map[string]struct {
		in   string
		opts ComposeOptions
	}{
		"lone CR, NUL line, LF":        {"A: 1\r\x00\nAuto-Submitted: auto-replied\r\n\r\nbody", ComposeOptions{}},
		"CRLF, NUL line, LF":           {"A: 1\r\n\x00\nAuto-Submitted: auto-replied\r\n\r\nbody", ComposeOptions{}},
		"lone CR, 8-bit line, LF":      {"A: 1\r=\xe9\nAuto-Submitted: auto-replied\r\n\r\nbody", ComposeOptions{SevenBit: true}},
		"lone CR, 8-bit line, lone CR": {"A: 1\r\xe9\rAuto-Submitted: auto-replied\r\rbody", ComposeOptions{SevenBit: true}},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Compose(&out, failureReport(), strings.NewReader(tt.in), tt.opts)
			require.NoError(t, err)
			rb := readBackDSN(t, out.Bytes())
			assert.Equal(t, "quoted-printable", rb.returned().header.Get("Content-Transfer-Encoding"))
			header, _, _ := strings.Cut(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(tt.in), "\n\n")
			assert.Equal(t, strings.ReplaceAll(header, "\n", "\r\n")+"\r\n", string(rb.returned().body))
			r, err := Parse(&out)
			require.NoError(t, err)
			assert.Equal(t, "auto-replied", r.ReturnedHeader.Get("Auto-Submitted"))
		})
	}
}
