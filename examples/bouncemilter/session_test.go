package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/d--j/go-milter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/policyjson"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// arrival is the fixture's Arrival-Date: the tests' clock stands a
// minute later, within the temperror defer window.
var arrival = time.Date(2026, 12, 6, 9, 27, 49, 0, time.UTC)

// fixture is a DSN Postfix wrote for alice@genuine.example's message to
// an unknown user, spfmilter having recorded SPF pass at receipt, with
// the edits given as old, new pairs.
func fixture(t *testing.T, edits ...string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/postfix-dsn.eml")
	require.NoError(t, err)
	return strings.NewReplacer(edits...).Replace(string(b))
}

// asSender makes the fixture's DSN one for a message from sender, with
// SPF result recorded.
func asSender(t *testing.T, sender, result string) string {
	domain := sender[strings.IndexByte(sender, '@')+1:]
	return fixture(t, "alice@genuine.example", sender, "genuine.example", domain,
		"Received-SPF: pass", "Received-SPF: "+result, "spf=pass", "spf="+result)
}

// unitFilter is a filter on the test zone, its clock a minute after the
// fixture's arrival, logging to the returned buffer.
func unitFilter(t *testing.T, change func(*config), zone *spftest.Zone) (*filter, *e2etest.Log) {
	if zone == nil {
		zone = newTestZone(t)
	}
	var log e2etest.Log
	f := newFilterWith(testConfig(change), zone, slog.New(slog.NewTextHandler(&log, nil)))
	f.pol.Now = func() time.Time { return arrival.Add(time.Minute) }
	return f, &log
}

// result is what the milter answered at the end of a message.
type result struct {
	act  *milter.Action
	mods []milter.ModifyAction
}

// runMessage hands raw, LF line breaks, to the milter at addr as
// bcleanup would: the envelope, the header field by field (folded lines
// joined by LF), the body with CRLF.
func runMessage(t *testing.T, addr, from string, rcpts []string, raw string) result {
	t.Helper()
	macros := milter.NewMacroBag()
	macros.Set(milter.MacroQueueId, "4XyZ1")
	cl := milter.NewClient("tcp", addr,
		milter.WithAction(milter.OptAddHeader|milter.OptAddRcpt|milter.OptRemoveRcpt),
		milter.WithMacroRequest(milter.StageEOM, []milter.MacroName{milter.MacroQueueId}))
	s, err := cl.Session(macros)
	require.NoError(t, err)
	defer s.Close()
	// bcleanup's sessions are local: Postfix names its own host.
	_, err = s.Conn("localhost", milter.FamilyInet, 0, "127.0.0.1")
	require.NoError(t, err)
	_, err = s.Helo(ourHost)
	require.NoError(t, err)
	_, err = s.Mail("<"+from+">", "")
	require.NoError(t, err)
	for _, r := range rcpts {
		_, err = s.Rcpt("<"+r+">", "")
		require.NoError(t, err)
	}
	_, err = s.DataStart()
	require.NoError(t, err)
	head, body, _ := strings.Cut(raw, "\n\n")
	var names, values []string
	for line := range strings.SplitSeq(head, "\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(values) > 0 {
			values[len(values)-1] += "\n" + line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		names, values = append(names, name), append(values, strings.TrimPrefix(value, " "))
	}
	for i := range names {
		_, err := s.HeaderField(names[i], values[i], nil)
		require.NoError(t, err)
	}
	_, err = s.HeaderEnd()
	require.NoError(t, err)
	mods, act, err := s.BodyReadFrom(strings.NewReader(strings.ReplaceAll(body, "\n", "\r\n")))
	require.NoError(t, err)
	return result{act, mods}
}

// modsOf describes the modifications, one per line: "header NAME: VALUE",
// "add <ADDR>", "delete <ADDR>".
func modsOf(mods []milter.ModifyAction) string {
	var b strings.Builder
	for _, m := range mods {
		switch m.Type {
		case milter.ActionAddHeader:
			b.WriteString("header " + m.HeaderName + ": " + m.HeaderValue + "\n")
		case milter.ActionAddRcpt:
			b.WriteString("add " + m.Rcpt + "\n")
		case milter.ActionDelRcpt:
			b.WriteString("delete " + m.Rcpt + "\n")
		default:
			b.WriteString("other\n")
		}
	}
	return b.String()
}

// TestOutcomes runs Postfix's DSN, and variations, through the milter
// for each outcome.
func TestOutcomes(t *testing.T) {
	const genuine = "alice@genuine.example"
	zone := newTestZone(t)
	zone.Inject("temp.example", spftest.ServFail)
	tests := []struct {
		name   string
		change func(*config)
		from   string
		rcpts  []string
		msg    func(t *testing.T) string
		act    milter.ActionType
		mods   string
		log    string
	}{
		{"genuine: bounce", nil, "", []string{genuine}, func(t *testing.T) string { return fixture(t) },
			milter.ActionAccept, "header X-Bounce-Policy: bounce; reason=spf-pass\n", "act=bounce"},
		{"forged, no postmaster: discard", nil, "", []string{"mallory@forged.example"},
			func(t *testing.T) string { return asSender(t, "mallory@forged.example", "fail") },
			milter.ActionDiscard, "", "decision.reason=spf-fail"},
		{"forged, postmaster without spf-fail notices: discard", func(c *config) { c.postmaster = "pm@ops.example" }, "", []string{"mallory@forged.example"},
			func(t *testing.T) string { return asSender(t, "mallory@forged.example", "fail") },
			milter.ActionDiscard, "", "act=discard"},
		{"forged, notice on spf-fail: to the postmaster", func(c *config) {
			c.postmaster, c.noticeOn = "pm@ops.example", []policy.Reason{policy.ReasonSPFFail}
		}, "", []string{"mallory@forged.example"},
			func(t *testing.T) string { return asSender(t, "mallory@forged.example", "fail") },
			milter.ActionAccept, "delete <mallory@forged.example>\nadd <pm@ops.example>\nheader X-Bounce-Policy: drop; reason=spf-fail\n", "notice_to=pm@ops.example"},
		{"softfail: notice by default", func(c *config) { c.postmaster = "pm@ops.example" }, "", []string{"bob@soft.example"},
			func(t *testing.T) string { return asSender(t, "bob@soft.example", "softfail") },
			milter.ActionAccept, "delete <bob@soft.example>\nadd <pm@ops.example>\nheader X-Bounce-Policy: drop; reason=spf-softfail\n", "act=notice"},
		{"temperror: tempfail", nil, "", []string{"carol@temp.example"},
			func(t *testing.T) string { return asSender(t, "carol@temp.example", "temperror") },
			milter.ActionTempFail, "", "decision.reason=spf-temperror"},
		{"untrusted record evaluated again", func(c *config) { c.trustRecorded = false }, "", []string{"mallory@forged.example"},
			func(t *testing.T) string {
				return fixture(t, "alice@genuine.example", "mallory@forged.example", "smtp.mailfrom=genuine.example", "smtp.mailfrom=forged.example")
			},
			milter.ActionDiscard, "", "decision.spf.source=evaluated"},
		{"-policy mode discard", func(c *config) { c.policyFile = &policyjson.File{Mode: "discard"} }, "", []string{genuine},
			func(t *testing.T) string { return fixture(t) }, milter.ActionDiscard, "", "decision.reason=policy-discard"},
		{"auto-reply: discard", nil, "", []string{genuine},
			func(t *testing.T) string {
				return fixture(t, "Subject: test genuine", "Subject: test genuine\nAuto-Submitted: auto-replied")
			},
			milter.ActionDiscard, "", "decision.reason=loop"},
		{"not a DSN: untouched", nil, "", []string{genuine},
			func(*testing.T) string { return "From: a@b.example\nSubject: hi\n\nHello.\n" },
			milter.ActionAccept, "", "why=\"not a DSN: no multipart/report\""},
		{"not null sender: untouched", nil, "double-bounce@" + ourHost, []string{"postmaster@" + ourHost},
			func(t *testing.T) string { return fixture(t) },
			milter.ActionAccept, "", "why=\"not a DSN: the return path is not null\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, log := unitFilter(t, tt.change, zone)
			r := runMessage(t, serveFilter(t, f, nil), tt.from, tt.rcpts, tt.msg(t))
			assert.Equal(t, tt.act, r.act.Type, log.String())
			assert.Equal(t, tt.mods, modsOf(r.mods))
			assert.Contains(t, log.String(), tt.log)
		})
	}
}

// TestHostileInput: what cannot be decided is tempfailed, never accepted
// undecided nor a panic; a returned header that hides the record gets no
// DSN.
func TestHostileInput(t *testing.T) {
	const genuine = "alice@genuine.example"
	garbage := "Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\nReporting-MTA: \x00\x01 nonsense\n\nAction: exploded\n--x--\n"
	tests := []struct {
		name  string
		rcpts []string
		msg   func(t *testing.T) string
		act   milter.ActionType
		log   string
	}{
		{"garbage DSN", []string{genuine}, func(*testing.T) string { return garbage }, milter.ActionTempFail, "act=tempfail"},
		{"report without a status part", []string{genuine},
			func(*testing.T) string {
				return "Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n"
			}, milter.ActionTempFail, "not a DSN"},
		{"null recipient, no To: no return path", []string{""}, func(t *testing.T) string { return fixture(t, "To: alice@genuine.example\n", "") },
			milter.ActionTempFail, "return_path"},
		{"two recipients", []string{genuine, "bob@genuine.example"}, func(t *testing.T) string { return fixture(t) }, milter.ActionTempFail, "other than one recipient"},
		{"bad return path", []string{"no at sign"}, func(t *testing.T) string { return fixture(t) }, milter.ActionTempFail, "return_path"},
		{"over the size limit", []string{genuine},
			func(t *testing.T) string { return fixture(t) + strings.Repeat("x", maxMessage) }, milter.ActionTempFail, "not read"},
		{"huge returned header hides the record", []string{genuine},
			func(t *testing.T) string {
				return fixture(t, "Return-Path: <alice@genuine.example>\n", "Return-Path: <alice@genuine.example>\n"+strings.Repeat("X-Junk: "+strings.Repeat("j", 900)+"\n", 100))
			}, milter.ActionDiscard, "decision.reason=spf-none"},
		{"huge field in the DSN's header", []string{genuine},
			func(t *testing.T) string {
				return fixture(t, "Subject:", "X-Long: "+strings.Repeat("y ", 50_000)+"\nSubject:")
			},
			milter.ActionAccept, "act=bounce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, log := unitFilter(t, nil, nil)
			r := runMessage(t, serveFilter(t, f, nil), "", tt.rcpts, tt.msg(t))
			assert.Equal(t, tt.act, r.act.Type, log.String())
			assert.Contains(t, log.String(), tt.log)
		})
	}
}

// TestSessionReuse: one milter connection carries several messages, as
// Postfix's cleanup may send them; nothing of one leaks into the next.
func TestSessionReuse(t *testing.T) {
	f, log := unitFilter(t, nil, nil)
	addr := serveFilter(t, f, nil)
	for range 3 {
		r := runMessage(t, addr, "", []string{"alice@genuine.example"}, fixture(t))
		assert.Equal(t, milter.ActionAccept, r.act.Type)
	}
	assert.Equal(t, 3, log.Count("act=bounce"))
	assert.Zero(t, bytes.Count([]byte(log.String()), []byte("tempfail")))
}

// TestJudgeNoRecipient: without an envelope recipient there is no return
// path to decide for; MTAs send none, and judge tempfails.
func TestJudgeNoRecipient(t *testing.T) {
	f, _ := unitFilter(t, nil, nil)
	raw := strings.ReplaceAll(fixture(t), "\n", "\r\n")
	v := f.judge(t.Context(), envelope{contentType: "multipart/report; report-type=delivery-status; boundary=x"}, []byte(raw))
	assert.Equal(t, actTempfail, v.act)
	assert.ErrorIs(t, v.why, errRecipients)
	v = f.judge(t.Context(), envelope{contentType: "Multipart/Report; boundary=x", rcpts: []string{"alice@genuine.example"}}, []byte(raw))
	assert.Equal(t, actBounce, v.act, "media types are case-insensitive (RFC 2045 §5.1)")
}
