package policy

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// filler returns header fields of about n bytes.
func filler(n int) string {
	line := "X-Filler: " + strings.Repeat("f", 100) + "\r\n"
	return strings.Repeat(line, n/len(line)+1)
}

// TestDecideLongHeader: rule 4 reads the whole header, however long
// (RFC 3834 §2), and an original whose header dsn.Compose cannot read is
// left out of the DSN rather than failing the decision.
func TestDecideLongHeader(t *testing.T) {
	tests := []struct {
		name     string
		fields   string
		action   Outcome
		reason   Reason
		returned dsn.ReturnedContent
		omitted  string // "yes", "no", or "" when dsn may take either way
	}{
		{"Auto-Submitted after 256 KiB", filler(319 << 10), Drop, ReasonLoop, "", ""},
		{"Auto-Submitted after 2 MiB", filler(2 << 20), Drop, ReasonLoop, "", ""},
		{"header of 300 KiB returned", filler(300 << 10), Bounce, ReasonSPFPass, dsn.ReturnHeaders, "no"},
		{"header of 2 MiB not returned", filler(2 << 20), Bounce, ReasonSPFPass, dsn.ReturnNone, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := tt.fields
			if tt.reason == ReasonLoop {
				fields += "Auto-Submitted: auto-replied\r\n"
			}
			ev := testEvent()
			ev.SPF = spf.Pass
			withHeader(fields)(&ev)
			d, err := testPolicy(nil).Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.action, d.Action)
			assert.Equal(t, tt.reason, d.Reason)
			if tt.action != Bounce {
				return
			}
			require.NotNil(t, d.DSN)
			assert.Equal(t, tt.returned, d.DSN.Returned)
			if tt.omitted != "" {
				assert.Equal(t, tt.omitted == "yes", d.DSN.Omitted != "", d.DSN.Omitted)
			}
			assert.Equal(t, d.DSN.Omitted != "", strings.Contains(d.String(), "without the original"), d.String())
			_, err = dsn.Parse(bytes.NewReader(d.DSN.Data))
			assert.NoError(t, err)
		})
	}
}

// TestDecideOmittedNotice: the postmaster notice says whether the
// original's header is attached.
func TestDecideOmittedNotice(t *testing.T) {
	p := testPolicy(nil)
	p.Postmaster = "postmaster@hosted.example"
	for _, tt := range []struct {
		name, want string
		original   func() func(ev *Event)
	}{
		{"attached", "its header is attached.", func() func(ev *Event) { return withHeader("") }},
		{"too long", "its header could not be attached", func() func(ev *Event) { return withHeader(filler(2 << 20)) }},
		{"none", "the MTA gave no copy of it.", func() func(ev *Event) { return func(ev *Event) { ev.Original = nil } }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			ev.SPF = spf.SoftFail
			tt.original()(&ev)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			require.NotNil(t, d.Notice)
			text := strings.ReplaceAll(string(d.Notice.Data), "=\r\n", "")
			assert.Contains(t, text, tt.want)
			if tt.name != "attached" {
				assert.False(t, strings.Contains(text, "its header is attached"), "the notice says it attached a header")
			}
		})
	}
}

// TestDecideReturnSizeLimit: RET=FULL returns the original in full up to
// DefaultReturnSizeLimit by default, the header only over it (RFC 3461
// §6.2); a negative limit means none.
func TestDecideReturnSizeLimit(t *testing.T) {
	big := originalMessage + strings.Repeat("body line\r\n", DefaultReturnSizeLimit/10)
	for _, tt := range []struct {
		name  string
		limit int64
		msg   string
		want  dsn.ReturnedContent
	}{
		{"small original, default limit", 0, originalMessage, dsn.ReturnFull},
		{"over the default limit", 0, big, dsn.ReturnHeaders},
		{"no limit", -1, big, dsn.ReturnFull},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(nil)
			p.ReturnSizeLimit = tt.limit
			ev := testEvent()
			ev.SPF, ev.Ret, ev.Original = spf.Pass, dsn.RetFull, OriginalBytes([]byte(tt.msg))
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			require.NotNil(t, d.DSN)
			assert.Equal(t, tt.want, d.DSN.Returned)
		})
	}
}

// TestDecideAddressChecks: Event.Validate checks addresses and host names
// exactly, so that what it accepts dsn.Compose accepts too.
func TestDecideAddressChecks(t *testing.T) {
	long := strings.Repeat("a", 65)
	tests := []struct {
		name  string
		event func(ev *Event)
		field string // "" when valid
	}{
		{"local part over 64 octets (RFC 5321 §4.5.3.1.1)", func(ev *Event) { ev.ReturnPath = long + "@example.org" }, "return_path"},
		{"local part of 3000 octets", func(ev *Event) { ev.Recipients[0].Address = strings.Repeat("b", 3000) + "@hosted.example" }, "recipients[0].address"},
		{"path over 256 octets (RFC 5321 §4.5.3.1.3)", func(ev *Event) {
			ev.ReturnPath = "a@" + strings.Repeat("b.", 125) + "example"
		}, "return_path"},
		{"empty labels (RFC 1035 §2.3.1)", func(ev *Event) { ev.ReturnPath = "alice@.." }, "return_path"},
		{"address literal with a port (RFC 5321 §4.1.3)", func(ev *Event) { ev.ReturnPath = "alice@[1.2.3.4]:25" }, "return_path"},
		{"stray quote in a quoted local part (RFC 5321 §4.1.2)", func(ev *Event) { ev.ReturnPath = `"a"b"@example.org` }, "return_path"},
		{"dot at the end of the local part", func(ev *Event) { ev.ReturnPath = "alice.@example.org" }, "return_path"},
		{"non-ASCII HELO (RFC 5321 §4.1.1.1)", func(ev *Event) { ev.HELO = "mäil.example.org" }, "helo"},
		{"non-ASCII remote MTA", func(ev *Event) { ev.Recipients[0].RemoteMTA = "mx.bücher.example" }, "recipients[0].remote_mta"},
		{"hyphen ending a label", func(ev *Event) { ev.Recipients[0].RemoteMTA = "mx-.example" }, "recipients[0].remote_mta"},
		{"IPv6 literal with a zone", func(ev *Event) { ev.HELO = "[IPv6:fe80::1%eth0]" }, "helo"},
		{"IP address as a domain (RFC 1123 §2.1)", func(ev *Event) { ev.ReturnPath = "alice@192.0.2.1" }, "return_path"},
		{"IPv6 tag in lower case (RFC 5234 §2.3)", func(ev *Event) { ev.HELO = "[ipv6:2001:db8::1]" }, ""},
		{"quoted local part with a space", func(ev *Event) { ev.ReturnPath = `"alice smith"@example.org` }, ""},
		{"address literal", func(ev *Event) { ev.ReturnPath = "alice@[192.0.2.1]" }, ""},
		{"IPv6 address literal", func(ev *Event) { ev.ReturnPath = "alice@[IPv6:2001:db8::1]" }, ""},
		{"HELO address literal", func(ev *Event) { ev.HELO = "[192.0.2.10]" }, ""},
		{"underscore in a HELO", func(ev *Event) { ev.HELO = "mail_1.example.org" }, ""},
		{"64-octet local part", func(ev *Event) { ev.ReturnPath = long[1:] + "@example.org" }, ""},
		{"UTF-8 with SMTPUTF8 (RFC 6531 §3.3)", func(ev *Event) { ev.SMTPUTF8, ev.ReturnPath = true, "jörg@bücher.example" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			ev.SPF = spf.Pass
			ev.Recipients[0].RemoteMTA = "mx.hosted.example"
			tt.event(&ev)
			d, err := testPolicy(nil).Decide(context.Background(), ev)
			if tt.field == "" {
				require.NoError(t, err)
				require.NotNil(t, d.DSN)
				_, err = dsn.Parse(bytes.NewReader(d.DSN.Data))
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidEvent)
			assert.Contains(t, err.Error(), ": "+tt.field+": ")
		})
	}
}

// TestDecideComposeRejects: a field dsn.Compose rejects is an invalid
// event too.
func TestDecideComposeRejects(t *testing.T) {
	p := testPolicy(nil)
	p.ComposeOptions.Boundary = "bad boundary\r\n"
	ev := testEvent()
	ev.SPF = spf.Pass
	_, err := p.Decide(context.Background(), ev)
	require.ErrorIs(t, err, dsn.ErrInvalidField)
	assert.ErrorIs(t, err, ErrInvalidEvent)
}

// TestDecideRemoteReplyText: without SMTPUTF8, a remote reply's non-ASCII
// and control bytes become "?" in the DSN, which stays an RFC 3464 one.
func TestDecideRemoteReplyText(t *testing.T) {
	ev := testEvent()
	ev.SPF = spf.Pass
	ev.Recipients[0].RemoteMTA = "mx.remote.example"
	ev.Recipients[0].Reply = "550 5.1.1 Benutzer unbekannt: m\xc3\xbcller\x00 \xff"
	d, err := testPolicy(nil).Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.DSN)
	r, err := dsn.Parse(bytes.NewReader(d.DSN.Data))
	require.NoError(t, err)
	diag := r.Recipients[0].DiagnosticCode
	assert.True(t, strings.HasPrefix(diag, "550 5.1.1 Benutzer unbekannt: m??ller "), diag)
	assert.Equal(t, -1, mailsyntax.IndexNotPrintable(diag), diag)
	assert.NotContains(t, string(d.DSN.Data), "global")
}

// TestDecideRejectLength: the reply fits one line of 512 octets, CRLF
// included (RFC 5321 §4.5.3.1.5).
func TestDecideRejectLength(t *testing.T) {
	for _, n := range []int{400, 497, 498, 1200} {
		for _, char := range []string{"x", "é"} {
			ev := testEvent()
			ev.InSession, ev.SMTPUTF8 = true, char != "x"
			ev.Recipients[0].Reply = "550 5.1.1 " + strings.Repeat(char, n/len(char))
			d, err := testPolicy(nil).Decide(context.Background(), ev)
			require.NoError(t, err)
			line := d.Reject.String() + "\r\n"
			assert.LessOrEqual(t, len(line), 512, "%d %s", n, char)
			assert.True(t, strings.HasPrefix(line, "550 5.1.1 "+char))
			assert.True(t, utf8.ValidString(line))
		}
	}
}

// TestDecideTempErrorReevaluatedAfterWindow: a recorded temperror is
// evaluated again past the window; only if it is still temperror does the
// fallback apply (docs/design.md, rule 8).
func TestDecideTempErrorReevaluatedAfterWindow(t *testing.T) {
	for _, tt := range []struct {
		evaluated spf.Result
		reason    Reason
	}{{spf.Pass, ReasonSPFPass}, {spf.TempError, ReasonSPFTempErrorExpired}} {
		checker := &fakeChecker{result: tt.evaluated}
		p := testPolicy(checker)
		p.Now = func() time.Time { return receivedAt.Add(DefaultDeferFor + time.Hour) }
		ev := testEvent()
		ev.SPF = spf.TempError
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err)
		assert.Equal(t, tt.reason, d.Reason)
		assert.Equal(t, SourceEvaluated, d.SPFSource)
		assert.EqualValues(t, 1, checker.calls.Load())
	}
}

// TestDecideNoDeferral: a negative DeferFor applies the fallback at once.
func TestDecideNoDeferral(t *testing.T) {
	p := testPolicy(nil)
	p.NoSPFReevaluation, p.DeferFor = true, -1
	ev := testEvent()
	ev.SPF = spf.TempError
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, Drop, d.Action)
	assert.Equal(t, ReasonSPFTempErrorExpired, d.Reason)
}

// TestDefaultsWithoutHostName: with no host name known, no header field
// is trusted, not even one claiming "localhost".
func TestDefaultsWithoutHostName(t *testing.T) {
	p := testPolicy(&fakeChecker{result: spf.Fail})
	p.ReportingMTA = ""
	p.once.Do(func() { p.settle(func() (string, error) { return "", errors.New("no name") }) })
	require.Equal(t, "localhost", p.defaults().reportingMTA)
	ev := testEvent()
	withHeader("Received-SPF: pass receiver=localhost; envelope-from=alice@example.org\r\n")(&ev)
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, SourceEvaluated, d.SPFSource)
	assert.Equal(t, Drop, d.Action)
}

// TestDefaultsSettledOnce: the host name and the default checker are
// settled at the first use, with a cache, and the checker's receiver is
// the reporting MTA (RFC 7208 §7.3, %{r}).
func TestDefaultsSettledOnce(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	first := p.defaults()
	c, ok := first.checker.(*spf.Checker)
	require.True(t, ok)
	assert.Equal(t, "mx.hosted.example", c.Receiver)
	if c.Resolver != nil { // nil when the system has no resolv.conf
		assert.IsType(t, &resolver.Cache{}, c.Resolver)
	}
	assert.Same(t, first.checker, p.defaults().checker)
	calls := 0
	q := &Policy{}
	for range 3 {
		q.once.Do(func() { q.settle(func() (string, error) { calls++; return "mx.example.net", nil }) })
	}
	assert.Equal(t, 1, calls)
	assert.Equal(t, "mx.example.net", q.defaults().authservID)
}

// TestDecideHeaderJustOverLimit: a header a little over the 1 MiB that
// dsn.Compose returns, within what the header scan holds, is left out of
// the DSN and the notice with Omitted saying why, and the notice does
// not claim it attached it; one of 1 MiB is returned.
func TestDecideHeaderJustOverLimit(t *testing.T) {
	p := testPolicy(nil)
	p.Postmaster = "postmaster@hosted.example"
	head := len(originalMessage[:strings.Index(originalMessage, "\r\n\r\n")+2])
	for _, extra := range []int{0, 1, 2 << 10} {
		fields := filler(1<<20 + extra - head - 200)
		fields += "X-Last: " + strings.Repeat("z", 1<<20+extra-head-len(fields)-10) + "\r\n"
		require.Equal(t, 1<<20+extra, len(fields)+head)
		for _, verdict := range []spf.Result{spf.Pass, spf.SoftFail} {
			ev := testEvent()
			ev.SPF = verdict
			withHeader(fields)(&ev)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			m := d.DSN
			if verdict == spf.SoftFail {
				m = d.Notice
			}
			require.NotNil(t, m, "%s, 1 MiB%+d", verdict, extra)
			returned := m.Returned != dsn.ReturnNone
			assert.Equal(t, extra == 0, returned, "%s, 1 MiB%+d", verdict, extra)
			assert.Equal(t, returned, m.Omitted == "", "%s, 1 MiB%+d: %q", verdict, extra, m.Omitted)
			if verdict == spf.SoftFail {
				text := strings.ReplaceAll(string(m.Data), "=\r\n", "")
				assert.Equal(t, returned, strings.Contains(text, "its header is attached"), "1 MiB%+d", extra)
			}
		}
	}
}
