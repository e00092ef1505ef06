package dsn

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kinds of headerFields: what a long value may expect.
const (
	kindToken = iota // a name, type or address: any long value may be refused
	kindText         // free text: taken when every word fits, else refused
	kindBody         // the human-readable part: always taken, encoded if need be
)

// headerFields are the Report's string fields that reach a header line of
// the DSN or of its delivery-status part, each with the name Compose's
// errors give it and, where Parse gives the value back as set, a getter.
var headerFields = []struct {
	field string
	kind  int
	set   func(r *Report, o *ComposeOptions, v string)
	get   func(r *Report) string
}{
	{"Subject", kindText, func(r *Report, _ *ComposeOptions, v string) { r.Subject = v }, func(r *Report) string { return r.Subject }},
	{"From", kindText, func(r *Report, _ *ComposeOptions, v string) { r.From = v + " <postmaster@mx.hosted.example>" }, nil},
	{"To", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.To = v + "@example.org" }, nil},
	{"MessageID", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.MessageID = v + "@mx.hosted.example" }, idLeft},
	{"ComposeOptions.MessageID", kindToken, func(_ *Report, o *ComposeOptions, v string) {
		o.MessageID = func() string { return v + "@mx.hosted.example" }
	}, idLeft},
	{"ReportingMTA", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.ReportingMTA = v }, func(r *Report) string { return r.ReportingMTA }},
	{"DSNGateway", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.DSNGateway = v }, func(r *Report) string { return r.DSNGateway }},
	{"ReceivedFromMTA.Name", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.ReceivedFromMTA.Name = v },
		func(r *Report) string { return r.ReceivedFromMTA.Name }},
	{"OriginalEnvelopeID", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.OriginalEnvelopeID = v },
		func(r *Report) string { return r.OriginalEnvelopeID }},
	{"Extensions[0].Name", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.Extensions = []Field{{v, "x"}} },
		func(r *Report) string { return r.Extensions[0].Name }},
	{"Extensions[0].Value", kindText, func(r *Report, _ *ComposeOptions, v string) { r.Extensions = []Field{{"X-Long", v}} },
		func(r *Report) string { return r.Extensions[0].Value }},
	{"Recipients[0].OriginalRecipient", kindToken, func(r *Report, _ *ComposeOptions, v string) {
		r.Recipients[0].OriginalRecipient = Address{"rfc822", v}
	}, func(r *Report) string { return r.Recipients[0].OriginalRecipient.Addr }},
	{"Recipients[0].FinalRecipient", kindToken, func(r *Report, _ *ComposeOptions, v string) {
		r.Recipients[0].FinalRecipient = Address{"rfc822", v}
	}, func(r *Report) string { return r.Recipients[0].FinalRecipient.Addr }},
	{"Recipients[0].FinalRecipient.Type", kindToken, func(r *Report, _ *ComposeOptions, v string) {
		r.Recipients[0].FinalRecipient.Type = v
	}, nil},
	{"Recipients[0].RemoteMTA.Name", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.Recipients[0].RemoteMTA.Name = v },
		func(r *Report) string { return r.Recipients[0].RemoteMTA.Name }},
	{"Recipients[0].DiagnosticType", kindToken, func(r *Report, _ *ComposeOptions, v string) { r.Recipients[0].DiagnosticType = v }, nil},
	{"Recipients[0].DiagnosticCode", kindText, func(r *Report, _ *ComposeOptions, v string) { r.Recipients[0].DiagnosticCode = v },
		func(r *Report) string { return r.Recipients[0].DiagnosticCode }},
	{"Recipients[0].FinalLogID", kindText, func(r *Report, _ *ComposeOptions, v string) { r.Recipients[0].FinalLogID = v },
		func(r *Report) string { return r.Recipients[0].FinalLogID }},
	{"Recipients[0].Extensions[0].Value", kindText, func(r *Report, _ *ComposeOptions, v string) {
		r.Recipients[0].Extensions = []Field{{"X-Long", v}}
	}, func(r *Report) string { return r.Recipients[0].Extensions[0].Value }},
	{"Text", kindBody, func(r *Report, _ *ComposeOptions, v string) { r.Text = v },
		func(r *Report) string { return strings.TrimSuffix(r.Text, "\n") }},
}

// idLeft is the id-left of the Message-ID Parse gives back.
func idLeft(r *Report) string { return strings.TrimSuffix(r.MessageID, "@mx.hosted.example") }

// RFC 5322 §2.1.1: however long a field's value, every line of the DSN
// stays within 998 octets: the value is folded, encoded, or refused with
// an error naming the field.
func TestComposeLongFieldsRFC5322Section2_1_1(t *testing.T) {
	for _, shape := range []struct {
		name     string
		value    string
		fits     bool // every word fits on a line: free text takes it
		smtputf8 bool
	}{
		{"many words", strings.TrimSpace(strings.Repeat("word ", 600)), true, false},
		{"a word of 900", strings.Repeat("w", maxWordLen), true, false},
		{"a word of 901", strings.Repeat("w", maxWordLen+1), false, false},
		{"a giant word", strings.Repeat("w", 5000), false, false},
		{"a giant run of spaces", "a" + strings.Repeat(" ", 2000) + "b", false, false},
		{"900 spaces and a word of 2", "a" + strings.Repeat(" ", maxWordLen) + "bc", false, false},
		{"899 spaces and a word of 2", "a" + strings.Repeat(" ", maxWordLen-1) + "bc", true, false},
		{"many UTF-8 words", strings.TrimSpace(strings.Repeat("mot é ", 500)), true, true},
		{"a UTF-8 word of 902", strings.Repeat("é", maxWordLen/2+1), false, true},
	} {
		for _, f := range headerFields {
			name := f.field + ", " + shape.name
			r, opts := failureReport(), testOptions()
			r.SMTPUTF8 = shape.smtputf8
			f.set(r, &opts, shape.value)
			var buf bytes.Buffer
			_, err := Compose(&buf, r, strings.NewReader(testOriginal), opts)
			if err != nil {
				var fe *FieldError
				require.True(t, errors.As(err, &fe), name)
				assert.Equal(t, f.field, fe.Field, name)
				assert.Regexp(t, `\(RFC \d+ §[\d.]+(, RFC \d+ §[\d.]+)?\)$`, fe.Rule, name)
				assert.NotContains(t, err.Error(), "\n", name)
				assert.Zero(t, buf.Len(), name)
				assert.NotEqual(t, kindBody, f.kind, "%s: refused: %v", name, err)
				assert.False(t, f.kind == kindText && shape.fits, "%s: refused: %v", name, err)
				continue
			}
			assert.False(t, f.kind == kindText && !shape.fits, "%s: taken", name)
			readBackDSN(t, buf.Bytes()) // CRLF lines within 998 octets
			if f.get == nil {
				continue
			}
			back, err := Parse(bytes.NewReader(buf.Bytes()))
			require.NoError(t, err, name)
			assert.Equal(t, shape.value, f.get(back), "%s: unfolding gives the value back", name)
		}
	}
}
