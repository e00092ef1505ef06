package dsn

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 3461 §4.1: NOTIFY is NEVER alone or a list of SUCCESS, FAILURE and
// DELAY; keywords are case-insensitive.
func TestParseNotifyRFC3461Section4_1(t *testing.T) {
	valid := []struct {
		in     string
		want   Notify
		String string
	}{
		{"", 0, ""},
		{"NEVER", NotifyNever, "NEVER"},
		{"never", NotifyNever, "NEVER"},
		{"FAILURE", NotifyFailure, "FAILURE"},
		{"Failure,Delay", NotifyFailure | NotifyDelay, "FAILURE,DELAY"},
		{"DELAY,SUCCESS,FAILURE", NotifySuccess | NotifyFailure | NotifyDelay, "SUCCESS,FAILURE,DELAY"},
	}
	for _, tt := range valid {
		got, err := ParseNotify(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, tt.String, got.String(), tt.in)
	}
	invalid := map[string]string{
		"NEVER,FAILURE":   "NEVER must stand alone",
		"FAILURE,NEVER":   "NEVER must stand alone",
		"FAILURE,failure": "repeated",
		"NEVER,NEVER":     "repeated",
		"FAILURE,":        "unknown keyword",
		",":               "unknown keyword",
		"SOMETIMES":       "unknown keyword",
		"FAILURE DELAY":   "unknown keyword",
		"FAILURE\r\n":     "unknown keyword",
	}
	for in, reason := range invalid {
		_, err := ParseNotify(in)
		require.Error(t, err, "%q", in)
		assert.True(t, errors.Is(err, ErrInvalidField))
		assert.Contains(t, err.Error(), "NOTIFY")
		assert.Contains(t, err.Error(), reason, "%q", in)
		assert.NotContains(t, err.Error(), "\n", "errors carry no raw line break")
	}
}

// RFC 3461 §4.3: RET=FULL or RET=HDRS.
func TestParseRetRFC3461Section4_3(t *testing.T) {
	for in, want := range map[string]Ret{"": "", "FULL": RetFull, "full": RetFull, "Hdrs": RetHdrs, "HDRS": RetHdrs} {
		got, err := ParseRet(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"HEADERS", "FULL ", "none", "F"} {
		_, err := ParseRet(in)
		assert.ErrorIs(t, err, ErrInvalidField, in)
	}
}

// RFC 3461 §4.2: ORCPT=addr-type;xtext, at most 500 characters; RFC 6533
// §3 for the utf-8 type.
func TestParseORCPTRFC3461Section4_2(t *testing.T) {
	valid := []struct {
		in   string
		want Address
	}{
		{"", Address{}},
		{"rfc822;bob@example.org", Address{"rfc822", "bob@example.org"}},
		{"RFC822;Bob@Example.org", Address{"rfc822", "Bob@Example.org"}},
		{"rfc822;bob+2Btag@example.org", Address{"rfc822", "bob+tag@example.org"}},
		{`utf-8;\x{E9}lodie@example.org`, Address{"utf-8", "élodie@example.org"}},
		{"utf-8;élodie@example.org", Address{"utf-8", "élodie@example.org"}},
		{"x-local;+C3+A9", Address{"x-local", "é"}},
		{"rfc822;" + strings.Repeat("a", 493), Address{"rfc822", strings.Repeat("a", 493)}},
	}
	for _, tt := range valid {
		got, err := ParseORCPT(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	invalid := map[string]string{
		"bob@example.org":                    "addr-type;xtext",
		";bob@example.org":                   "addr-type;xtext",
		"rfc 822;bob":                        "addr-type;xtext",
		"rfc822;":                            "empty address",
		"rfc822;bob+0D+0ABcc:evil":           "control character 0x0d",
		"rfc822;a b":                         "outside ! to ~",
		"rfc822;+FF":                         "not valid UTF-8",
		"rfc822;+4":                          "truncated",
		`utf-8;\x{0A}`:                       "control character",
		"rfc822;" + strings.Repeat("a", 494): "longer than 500",
	}
	for in, reason := range invalid {
		_, err := ParseORCPT(in)
		require.Error(t, err, "%q", in)
		assert.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), "ORCPT")
		assert.Contains(t, err.Error(), reason, "%q", in)
	}
}

// RFC 3461 §4.4: ENVID is xtext of at most 100 characters.
func TestParseEnvIDRFC3461Section4_4(t *testing.T) {
	for in, want := range map[string]string{"": "", "QQ314159": "QQ314159", "a+2Bb": "a+b", "x+20y": "x y", strings.Repeat("e", 100): strings.Repeat("e", 100)} {
		got, err := ParseEnvID(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for in, reason := range map[string]string{
		strings.Repeat("e", 101): "longer than 100",
		"a+0Ab":                  "not printable ASCII",
		"a+00":                   "not printable ASCII",
		"a+C3+A9":                "not printable ASCII",
		"a b":                    "outside ! to ~",
		"a+":                     "truncated",
	} {
		_, err := ParseEnvID(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), "ENVID")
		assert.Contains(t, err.Error(), reason, in)
	}
}
