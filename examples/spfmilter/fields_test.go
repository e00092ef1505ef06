package main

import (
	"strings"
	"testing"

	"github.com/d--j/go-milter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestClaims: which arriving fields claim our authserv-id, and why.
func TestClaims(t *testing.T) {
	tests := []struct {
		name, field, value string
		why                string // "" when the field stays
	}{
		{"RS receiver is us", receivedSPF, "pass (mx.hosted.example: domain of a@pass.example designates 192.0.2.1 as permitted sender) receiver=mx.hosted.example;", "receiver= names us"},
		{"RS receiver in other case", receivedSPF, "fail receiver=MX.Hosted.Example", "receiver= names us"},
		{"RS receiver quoted", receivedSPF, `pass receiver="mx.hosted.example"`, "receiver= names us"},
		{"RS folded", receivedSPF, "pass\r\n\t(comment)\r\n receiver=mx.hosted.example;\r\n identity=mailfrom", "receiver= names us"},
		{"RS another receiver", receivedSPF, "pass (mx.hosted.example: says it) receiver=mx.other.example", ""},
		{"RS receiver a longer name", receivedSPF, "pass receiver=mx.hosted.example.evil", ""},
		{"RS no receiver, names us in the comment", receivedSPF, "pass (mx.hosted.example: domain of a@pass.example designates 192.0.2.1 as permitted sender)", "no receiver=, and it mentions us"},
		{"RS no receiver, another host", receivedSPF, "pass (mx.other.example: domain of ...)", ""},
		{"RS unreadable, names us", receivedSPF, "passed with flying colours at mx.hosted.example", "unreadable, and it mentions us"},
		{"RS receiver twice", receivedSPF, "pass receiver=mx.other.example; receiver=mx.hosted.example", "unreadable, and it mentions us"},
		{"RS unreadable, another host", receivedSPF, "whatever mx.other.example says", ""},
		{"RS empty", receivedSPF, "", ""},
		{"AR ours", authResults, "mx.hosted.example; spf=pass smtp.mailfrom=pass.example", "authserv-id is ours"},
		{"AR ours, other case and version", authResults, "MX.HOSTED.EXAMPLE 1; spf=pass smtp.mailfrom=pass.example", "authserv-id is ours"},
		{"AR ours, quoted", authResults, `"mx.hosted.example"; spf=pass smtp.mailfrom=pass.example`, "authserv-id is ours"},
		{"AR ours after a comment", authResults, "(hi) mx.hosted.example; dkim=pass header.d=pass.example", "authserv-id is ours"},
		{"AR ours, no result", authResults, "mx.hosted.example; none", "authserv-id is ours"},
		{"AR another", authResults, "mx.other.example; spf=pass smtp.mailfrom=pass.example (checked for mx.hosted.example)", ""},
		{"AR unreadable, names us", authResults, "; spf=pass mx.hosted.example", "unreadable, and it mentions us"},
		{"AR empty", authResults, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e fieldEdits
			e.see(strings.ToLower(tt.field), tt.value, ourID)
			if tt.why == "" {
				assert.Empty(t, e.deletions)
				return
			}
			require.Len(t, e.deletions, 1)
			assert.Equal(t, fieldRef{tt.field, 1, tt.why}, e.deletions[0])
		})
	}
}

// TestPlantedFieldsDeleted: the fields a sender planted under our name
// are gone from the message, other hosts' stay, in their order.
func TestPlantedFieldsDeleted(t *testing.T) {
	addr, log := startMilter(t, testConfig(nil), newTestZone(t))
	header := []field{
		{"Received-SPF", " pass (mx.hosted.example: domain of alice@pass.example designates 192.0.2.1 as permitted sender) receiver=mx.hosted.example;"},
		{"Received", " from a by mx.other.example; Mon, 1 Jan 2024 00:00:00 +0000"},
		{"Authentication-Results", " mx.hosted.example; spf=pass smtp.mailfrom=pass.example"},
		{"Received-SPF", " softfail (mx.other.example: transitioning ...) receiver=mx.other.example"},
		{"authentication-results", " mx.other.example; spf=pass smtp.mailfrom=fail.example"},
		{"RECEIVED-SPF", " pass receiver=MX.HOSTED.EXAMPLE"},
		{"Authentication-Results", ` "mx.hosted.example" 1; spf=pass`},
		{"Subject", " hi"},
	}
	o := send(t, addr, message{addr: "198.51.100.7", from: "mallory@fail.example", header: header})
	require.Equal(t, milter.ActionAccept, o.end.Type)
	want := []field{
		{"Authentication-Results", "mx.hosted.example; spf=fail smtp.mailfrom=fail.example"},
		{"Received-SPF", o.header[1].value},
		header[1], header[3], header[4], header[7],
	}
	assert.Equal(t, want, o.header)
	assert.True(t, strings.HasPrefix(o.header[1].value, "fail (mx.hosted.example: "), o.header[1].value)
	assert.Contains(t, log.String(), `deleted="Received-SPF#1 (receiver= names us), Authentication-Results#1 (authserv-id is ours), Received-SPF#3 (receiver= names us), Authentication-Results#3 (authserv-id is ours)"`)
}

// TestHostileHeaders: a 100 KB field, thousands of fields, controls and
// invalid UTF-8 do not upset the milter; claims among them are found.
func TestHostileHeaders(t *testing.T) {
	addr, _ := startMilter(t, testConfig(nil), newTestZone(t))
	long := " pass (" + strings.Repeat("x", 100<<10) + ") receiver=mx.hosted.example"
	many := make([]field, 0, 5002)
	for range 2500 {
		many = append(many, field{"Received-SPF", " pass receiver=mx.other.example"}, field{"Authentication-Results", " mx.other.example; spf=pass"})
	}
	many = append(many, field{"Received-SPF", " pass receiver=mx.hosted.example"}, field{"X-Long", " " + strings.Repeat("y", 100<<10)})
	tests := []struct {
		name   string
		header []field
		kept   int // of the header's fields
	}{
		{"100 KB claiming field", []field{{"Received-SPF", long}, {"Subject", " hi"}}, 1},
		{"100 KB unreadable field", []field{{"Authentication-Results", strings.Repeat("(", 100<<10) + "mx.hosted.example"}}, 0},
		{"5002 fields", many, 5001},
		{"controls and bad UTF-8", []field{{"Received-SPF", " pass\x01\x7f\xff\xfe receiver=mx.hosted.example"}, {"X-Bin", " \x01\x02\xc3"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := send(t, addr, message{addr: "192.0.2.1", from: "alice@pass.example", header: tt.header})
			require.Equal(t, milter.ActionAccept, o.end.Type)
			assert.Len(t, o.header, tt.kept+2)
			assert.Equal(t, "mx.hosted.example; spf=pass smtp.mailfrom=pass.example", o.header[0].value)
		})
	}
}

// TestHostileEnvelope: what the client said, controls included, cannot
// break our fields or the reply; they stay one line each.
func TestHostileEnvelope(t *testing.T) {
	addr, _ := startMilter(t, testConfig(func(c *config) { c.rejectFail = true }), newTestZone(t))
	tests := []message{
		{addr: "192.0.2.1", helo: "evil\r\nX-Injected: 1", from: ""},
		{addr: "192.0.2.1", from: "a\r\nX-Injected: 1@pass.example"},
		{addr: "192.0.2.1", from: "\"a b\"@pass.example"},
		{addr: "192.0.2.1", helo: strings.Repeat("h", 5000), from: strings.Repeat("a", 5000) + "@" + strings.Repeat("b", 5000)},
		{addr: "192.0.2.1", helo: "\u2028", from: "x@\u0085.example"},
	}
	for i, msg := range tests {
		msg.header = subject
		o := send(t, addr, msg)
		if i == 3 {
			assert.Equal(t, "mx.hosted.example; spf=none smtp.mailfrom="+strings.Repeat("b", maxDomain)+" ("+tooLong+")", o.header[0].value)
		}
		require.NotNil(t, o.end, "%.40q", msg.from)
		for _, f := range o.header[:2] {
			assert.NotContains(t, f.value, "\n", "%.40q", msg.from)
			assert.NotContains(t, f.value, "\r", "%.40q", msg.from)
			assert.LessOrEqual(t, len(f.name)+2+len(f.value), 998, "%.40q", msg.from)
		}
	}
}

// TestHostileExplanation: an exp= text with a line break and great
// length becomes one reply line of bounded length.
func TestHostileExplanation(t *testing.T) {
	assert.Equal(t, "a??b?c?d", replyText("a\r\nb\u0085c\xffd"))
	long := replyText(strings.Repeat("é", 1000))
	assert.LessOrEqual(t, len(long), maxReplyText)
	assert.True(t, strings.HasSuffix(long, "é"), "cut on a character boundary")
	r, err := failResponse(spf.Verdict{Result: spf.Fail, Explanation: "bad\r\n550 fake"})
	require.NoError(t, err)
	assert.Contains(t, r.String(), "5.7.23 bad??550 fake")
}

// TestNULInHeader: a field value with a NUL byte breaks the milter
// protocol's C strings; the session ends, the milter does not, and the
// next session is served.
func TestNULInHeader(t *testing.T) {
	addr, _ := startMilter(t, testConfig(nil), newTestZone(t))
	msg := message{addr: "192.0.2.1", from: "alice@pass.example"}
	s := openSession(t, addr, msg)
	_, err := s.Mail(msg.from, "")
	require.NoError(t, err)
	_, err = s.Rcpt("bob@hosted.example", "")
	require.NoError(t, err)
	_, err = s.DataStart()
	require.NoError(t, err)
	_, err = s.HeaderField("Received-SPF", " pass\x00receiver=mx.hosted.example", nil)
	if err == nil {
		_, _, err = s.BodyReadFrom(strings.NewReader("x\r\n"))
	}
	assert.Error(t, err)
	s.Close()

	o := send(t, addr, message{addr: "192.0.2.1", from: "alice@pass.example", header: subject})
	assert.Equal(t, milter.ActionAccept, o.end.Type)
}

// TestRecordFieldsLongReason: a reason that would push Received-SPF past
// 998 characters is left out, and the field stays one readable line.
func TestRecordFieldsLongReason(t *testing.T) {
	v := spf.Verdict{Result: spf.None, Identity: spf.MailFrom, Sender: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 250), Domain: strings.Repeat("b", 250), HELO: strings.Repeat("h", 250)}
	rs, _ := recordFields(v, ourID, strings.Repeat("r", 600))
	assert.LessOrEqual(t, len("Received-SPF: ")+len(rs), 998)
	assert.NotContains(t, rs, "rrr")
	_, receiver, err := spf.ParseReceivedSPF(rs)
	require.NoError(t, err)
	assert.Equal(t, ourID, receiver)
}
