package dsn

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseMailParams reads MAIL FROM parameters as a milter receives
// them (RFC 3461 §4.3, §4.4, RFC 6531 §3.4).
func TestParseMailParams(t *testing.T) {
	for in, want := range map[string]MailParams{
		"":                       {},
		"SIZE=123 BODY=8BITMIME": {},
		"RET=HDRS ENVID=QQ+2B314159 SMTPUTF8 SIZE=1": {Ret: RetHdrs, EnvID: "QQ+314159", SMTPUTF8: true},
		"ret=full envid=a+20b smtputf8":              {Ret: RetFull, EnvID: "a b", SMTPUTF8: true},
		"  ENVID=x  \tRET=Hdrs ":                     {Ret: RetHdrs, EnvID: "x"},
		"X-UNKNOWN=a=b RETX=1 ENVIDS=2":              {},
	} {
		got, err := ParseMailParams(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for in, want := range map[string][2]string{
		"RET=FULL RET=HDRS":      {"RET", "given twice"},
		"ENVID=a envid=b":        {"ENVID", "given twice"},
		"SMTPUTF8 SMTPUTF8":      {"SMTPUTF8", "given twice"},
		"SMTPUTF8=yes":           {"SMTPUTF8", "takes no value"},
		"RET":                    {"RET", "needs a value"},
		"ENVID=":                 {"ENVID", "needs a value"},
		"RET=ALL":                {"RET", "want FULL or HDRS"},
		"ENVID=a+2":              {"ENVID", "truncated"},
		"ENVID=+20a":             {"ENVID", "white space"},
		"ENVID=" + long(101):     {"ENVID", "longer than 100"},
		"ENVID=a+0Db":            {"ENVID", "not printable"},
		"ENVID=\u00e9":           {"ENVID", "outside ! to ~"},
		"SIZE=1 RET=FULL RET=FU": {"RET", "given twice"},
	} {
		_, err := ParseMailParams(in)
		assertFieldError(t, err, want[0], want[1], in)
	}
}

// TestParseRcptParams reads RCPT TO parameters (RFC 3461 §4.1, §4.2).
func TestParseRcptParams(t *testing.T) {
	for in, want := range map[string]RcptParams{
		"":                     {},
		"NOTIFY=FAILURE,DELAY": {Notify: NotifyFailure | NotifyDelay},
		"orcpt=rfc822;bob+40example.org notify=never": {Notify: NotifyNever, ORCPT: Address{"rfc822", "bob@example.org"}},
		"ORCPT=utf-8;j\\x{F6}rg@example.com":          {ORCPT: Address{"utf-8", "jörg@example.com"}},
		"XFORWARD=1 NOTIFYX=NEVER":                    {},
	} {
		got, err := ParseRcptParams(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for in, want := range map[string][2]string{
		"NOTIFY=NEVER NOTIFY=NEVER":         {"NOTIFY", "given twice"},
		"ORCPT=rfc822;a@b ORCPT=rfc822;c@d": {"ORCPT", "given twice"},
		"NOTIFY=":                           {"NOTIFY", "needs a value"},
		"ORCPT":                             {"ORCPT", "needs a value"},
		"NOTIFY=NEVER,FAILURE":              {"NOTIFY", "NEVER must stand alone"},
		"ORCPT=bob@example.org":             {"ORCPT", "addr-type;xtext"},
	} {
		_, err := ParseRcptParams(in)
		assertFieldError(t, err, want[0], want[1], in)
	}
}

func long(n int) string { return strings.Repeat("a", n) }

func assertFieldError(t *testing.T, err error, field, rule, in string) {
	t.Helper()
	var fe *FieldError
	if !assert.True(t, errors.As(err, &fe), "%q: %v", in, err) {
		return
	}
	assert.ErrorIs(t, err, ErrInvalidField)
	assert.Equal(t, field, fe.Field, "%q", in)
	assert.Contains(t, fe.Rule, rule, "%q", in)
}

// mailParamsString writes p back as parameters.
func mailParamsString(p MailParams) string {
	var items []string
	if p.Ret != "" {
		items = append(items, "RET="+string(p.Ret))
	}
	if p.EnvID != "" {
		items = append(items, "ENVID="+EncodeXtext(p.EnvID))
	}
	if p.SMTPUTF8 {
		items = append(items, "SMTPUTF8")
	}
	return strings.Join(items, " ")
}

// rcptParamsString writes p back as parameters.
func rcptParamsString(p RcptParams) string {
	var items []string
	if p.Notify != 0 {
		items = append(items, "NOTIFY="+p.Notify.String())
	}
	switch p.ORCPT.Type {
	case "":
	case "utf-8":
		items = append(items, "ORCPT=utf-8;"+EncodeUTF8Addr(p.ORCPT.Addr))
	default:
		items = append(items, "ORCPT="+p.ORCPT.Type+";"+EncodeXtext(p.ORCPT.Addr))
	}
	return strings.Join(items, " ")
}

// FuzzParseMailParams: no input panics, and what is accepted reads back
// the same once written again.
func FuzzParseMailParams(f *testing.F) {
	for _, s := range []string{"RET=HDRS ENVID=QQ+2B314159 SMTPUTF8 SIZE=123", "ret=full envid=a+20b", "RET=FULL RET=FULL", "SMTPUTF8=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		p, err := ParseMailParams(args)
		if err != nil {
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%q: %v", args, err)
			return
		}
		again, err := ParseMailParams(mailParamsString(p))
		require.NoError(t, err, "%q", args)
		require.Equal(t, p, again, "%q", args)
	})
}

// FuzzParseRcptParams: no input panics, and what is accepted reads back
// the same once written again.
func FuzzParseRcptParams(f *testing.F) {
	for _, s := range []string{"NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob+40example.org", `ORCPT=utf-8;j\x{F6}rg@example.com`, "NOTIFY=NEVER NOTIFY=NEVER"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		p, err := ParseRcptParams(args)
		if err != nil {
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%q: %v", args, err)
			return
		}
		again, err := ParseRcptParams(rcptParamsString(p))
		require.NoError(t, err, "%q", args)
		require.Equal(t, p, again, "%q", args)
	})
}
