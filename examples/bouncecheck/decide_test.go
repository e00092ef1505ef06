package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

const decideData = "testdata/decide/"

// runCommand runs bouncecheck with args and returns its exit status and
// output. A run that hangs, as on a FIFO or an endless input, fails the
// test instead of stalling it.
func runCommand(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, strings.NewReader(stdin), &out, &errOut) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("bouncecheck %q still running after 30 s", args)
	}
	return code, out.String(), errOut.String()
}

// decodeJSON decodes a JSON object.
func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), "JSON: %s", s)
	return m
}

// normalizeOutput decodes the command's output and zeroes the byte counts,
// which depend on the random Message-ID and boundary, once checked.
func normalizeOutput(t *testing.T, s string) map[string]any {
	t.Helper()
	m := decodeJSON(t, s)
	for _, k := range []string{"dsn", "notice"} {
		if msg, ok := m[k].(map[string]any); ok {
			assert.Greater(t, msg["bytes"], 500.0, "%s bytes", k)
			msg["bytes"] = 0.0
		}
	}
	return m
}

// TestDecideCommand runs `bouncecheck decide` on the event files of
// testdata/decide and checks the JSON of docs/design.md.
func TestDecideCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "recorded pass bounces (rule 8)",
			args: []string{"-event", "recorded-pass.json", "-policy", "policy.json"},
			want: `{"action":"bounce","reason":"spf-pass","spf":{"result":"pass","source":"recorded"},
				"reported":["bob@hosted.example"],"dsn":{"mail_from":"","rcpt_to":"alice@example.org","bytes":0}}`},
		{name: "forged sender dropped with a notice (RFC 7208 §8.4)",
			args: []string{"-event", "forged.json", "-policy", "policy.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"drop","reason":"spf-fail","spf":{"result":"fail","source":"evaluated"},
				"reported":["bob@hosted.example"],"notice":{"mail_from":"","rcpt_to":"postmaster@hosted.example","bytes":0}}`},
		{name: "someone else's Received-SPF is not trusted",
			args: []string{"-event", "untrusted-header.json", "-policy", "policy.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"drop","reason":"spf-fail","spf":{"result":"fail","source":"evaluated"},
				"reported":["bob@hosted.example"],"notice":{"mail_from":"","rcpt_to":"postmaster@hosted.example","bytes":0}}`},
		{name: "our own Received-SPF is trusted (RFC 7208 §9.1)",
			args: []string{"-event", "trusted-header.json", "-policy", "policy.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"bounce","reason":"spf-pass","spf":{"result":"pass","source":"recorded"},
				"reported":["bob@hosted.example"],"dsn":{"mail_from":"","rcpt_to":"alice@example.org","bytes":0}}`},
		{name: "genuine sender evaluated, NOTIFY filtered (RFC 3461 §4.1)",
			args: []string{"-event", "genuine-evaluated.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"bounce","reason":"spf-pass","spf":{"result":"pass","source":"evaluated"},
				"reported":["bob@hosted.example","dave@hosted.example"],
				"suppressed":[{"address":"carol@hosted.example","reason":"notify-never"}],
				"dsn":{"mail_from":"","rcpt_to":"alice@genuine.example","bytes":0}}`},
		{name: "by default, a forged sender's drop is no news to the postmaster (RFC 5321 §6.2)",
			args: []string{"-event", "forged.json", "-policy", "default-notices.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"drop","reason":"spf-fail","spf":{"result":"fail","source":"evaluated"},
				"reported":["bob@hosted.example"]}`},
		{name: "by default, header fields are not trusted",
			args: []string{"-event", "trusted-header.json", "-policy", "default-notices.json", "-zone", decideData + "zone.txt"},
			want: `{"action":"drop","reason":"spf-fail","spf":{"result":"fail","source":"evaluated"},
				"reported":["bob@hosted.example"]}`},
		{name: "null sender dropped (rule 2)",
			args: []string{"-event", "null-sender.json", "-policy", "policy.json"},
			want: `{"action":"drop","reason":"null-sender","reported":["bob@hosted.example"],
				"notice":{"mail_from":"","rcpt_to":"postmaster@hosted.example","bytes":0}}`},
		{name: "in-session reject (rule 1)",
			args: []string{"-event", "in-session.json"},
			want: `{"action":"reject","reason":"in-session","reject":{"code":550,"enhanced":"5.1.1","text":"<bob@hosted.example>: no such user"}}`},
		{name: "temperror defers within the window",
			args: []string{"-event", "temperror.json", "-policy", "no-reevaluation.json", "-now", "2026-11-27T10:05:00Z"},
			want: `{"action":"defer","reason":"spf-temperror","spf":{"result":"temperror","source":"recorded"},
				"reported":["bob@hosted.example"],"retry_at":"2026-11-27T10:35:00Z"}`},
		{name: "temperror past the window falls back",
			args: []string{"-event", "temperror.json", "-policy", "no-reevaluation.json", "-now", "2026-11-27T14:00:00Z"},
			want: `{"action":"drop","reason":"spf-temperror-expired","spf":{"result":"temperror","source":"recorded"},
				"reported":["bob@hosted.example"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"decide"}, tt.args...)
			for i := range args {
				if strings.HasSuffix(args[i], ".json") {
					args[i] = decideData + args[i]
				}
			}
			code, stdout, stderr := runCommand(t, "", args...)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Empty(t, stderr)
			assert.Equal(t, decodeJSON(t, tt.want), normalizeOutput(t, stdout))
		})
	}
}

// TestDecideCommandWritesDSN checks the DSN written with -dsn, read back
// with dsn.Parse (RFC 3464 §2).
func TestDecideCommandWritesDSN(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dsn.eml")
	code, stdout, stderr := runCommand(t, "", "decide", "-event", decideData+"recorded-pass.json",
		"-policy", decideData+"policy.json", "-dsn", out, "-now", "2026-11-27T10:05:00Z")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"mail_from": "", "rcpt_to": "alice@example.org", "bytes": float64(len(data))}, decodeJSON(t, stdout)["dsn"])
	assert.NotContains(t, strings.ReplaceAll(string(data), "\r\n", ""), "\n", "CRLF line endings only")

	r, err := dsn.Parse(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, "mx.hosted.example", r.ReportingMTA)
	assert.Equal(t, "QQ314159", r.OriginalEnvelopeID)
	assert.Equal(t, dsn.ReturnHeaders, r.Returned, "RET=HDRS (RFC 3461 §4.3)")
	assert.Equal(t, "<lunch-42@example.org>", r.ReturnedHeader.Get("Message-Id"))
	require.Len(t, r.Recipients, 1)
	rc := r.Recipients[0]
	assert.Equal(t, dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"}, rc.FinalRecipient)
	assert.Equal(t, dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"}, rc.OriginalRecipient)
	assert.Equal(t, dsn.ActionFailed, rc.Action)
	assert.Equal(t, "5.1.1", rc.Status.String())
	assert.Empty(t, rc.RemoteMTA.Name, "no remote MTA answered (RFC 3464 §2.3.5)")
	assert.Equal(t, "550 5.1.1 <bob@hosted.example>: no such user", rc.DiagnosticCode, "a local failure keeps its reason (RFC 3464 §2.3.6)")
	head, _, _ := strings.Cut(string(data), "\r\n\r\n")
	assert.Contains(t, head, "\r\nTo: <alice@example.org>\r\n")
	assert.Contains(t, head, "\r\nAuto-Submitted: auto-replied\r\n")
}

// TestDecideCommandWritesNotice checks the postmaster notice written with
// -notice: the would-be DSN, with the original's header only.
func TestDecideCommandWritesNotice(t *testing.T) {
	dir := t.TempDir()
	dsnOut, noticeOut := filepath.Join(dir, "dsn.eml"), filepath.Join(dir, "notice.eml")
	code, _, stderr := runCommand(t, "", "decide", "-event", decideData+"forged.json",
		"-policy", decideData+"policy.json", "-zone", decideData+"zone.txt", "-dsn", dsnOut, "-notice", noticeOut)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.NoFileExists(t, dsnOut, "a drop sends no DSN")
	data, err := os.ReadFile(noticeOut)
	require.NoError(t, err)
	r, err := dsn.Parse(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, dsn.ReturnHeaders, r.Returned)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, "bob@hosted.example", r.Recipients[0].FinalRecipient.Addr)
	assert.Contains(t, string(data), "\r\nTo: <postmaster@hosted.example>\r\n")
	assert.Contains(t, string(data), "spf-fail")
}

func TestDecideCommandStdin(t *testing.T) {
	event, err := os.ReadFile(decideData + "in-session.json")
	require.NoError(t, err)
	code, stdout, stderr := runCommand(t, string(event), "decide", "-event", "-")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Equal(t, "reject", decodeJSON(t, stdout)["action"])
}

// TestDecideCommandErrors checks exit status 2 and a message naming the
// field for invalid input.
func TestDecideCommandErrors(t *testing.T) {
	valid := `{"return_path":"alice@example.org","client_ip":"192.0.2.10","helo":"mail.example.org",
		"received_at":"2026-11-27T10:00:00Z","recipients":[{"address":"bob@hosted.example","notify":"FAILURE","status":"5.1.1"}]}`
	edit := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}
	tests := []struct {
		name   string
		event  string
		policy string
		args   []string
		code   int
		stderr string
	}{
		{name: "bad IP", event: edit(`"192.0.2.10"`, `"192.0.2.300"`), code: 2, stderr: "client_ip"},
		{name: "control in address", event: edit(`"alice@example.org"`, `"alice@example.org\r\nBcc: x@y"`), code: 2, stderr: "return_path"},
		{name: "address without domain", event: edit(`"bob@hosted.example"`, `"bob"`), code: 2, stderr: "recipients[0].address"},
		{name: "unknown NOTIFY keyword", event: edit(`"FAILURE"`, `"FAILURE,SOMETIMES"`), code: 2, stderr: "recipients[0].notify"},
		{name: "bad status", event: edit(`"5.1.1"`, `"5.1"`), code: 2, stderr: "recipients[0].status"},
		{name: "status against action", event: edit(`"5.1.1"`, `"2.0.0"`), code: 2, stderr: "recipients[0].status"},
		{name: "no recipients", event: edit(`[{"address":"bob@hosted.example","notify":"FAILURE","status":"5.1.1"}]`, `[]`), code: 2, stderr: "recipients"},
		{name: "unknown verdict", event: edit(`"helo"`, `"verdict":"ham","helo"`), code: 2, stderr: "verdict"},
		{name: "unknown SPF result", event: edit(`"helo"`, `"spf":"maybe","helo"`), code: 2, stderr: "spf"},
		{name: "bad date", event: edit(`"2026-11-27T10:00:00Z"`, `"yesterday"`), code: 2, stderr: "received_at"},
		{name: "bad last_attempt", event: edit(`"status"`, `"last_attempt":"noon","status"`), code: 2, stderr: "recipients[0].last_attempt"},
		{name: "bad ORCPT", event: edit(`"status"`, `"orcpt":"rfc822","status"`), code: 2, stderr: "recipients[0].orcpt"},
		{name: "bad ENVID xtext", event: edit(`"helo"`, `"envid":"a+zz","helo"`), code: 2, stderr: "envid"},
		{name: "bad RET", event: edit(`"helo"`, `"ret":"ALL","helo"`), code: 2, stderr: "ret"},
		{name: "unknown key", event: edit(`"helo"`, `"colour":"red","helo"`), code: 2, stderr: "colour"},
		{name: "wrong type", event: edit(`"helo"`, `"in_session":"yes","helo"`), code: 2, stderr: "in_session"},
		{name: "not JSON", event: `{`, code: 2, stderr: "event"},
		{name: "missing message file", event: edit(`"helo"`, `"message_file":"nowhere.eml","helo"`), code: 2, stderr: "nowhere.eml"},
		{name: "message and message_file", event: edit(`"helo"`, `"message":"x","message_file":"y.eml","helo"`), code: 2, stderr: "message_file"},
		{name: "bad policy mode", event: valid, policy: `{"mode":"sometimes"}`, code: 2, stderr: "mode"},
		{name: "neutral unlike none", event: valid, policy: `{"on_spf":{"neutral":"bounce"}}`, code: 2, stderr: "on_spf.neutral"},
		{name: "bad defer_for", event: valid, policy: `{"defer_for":"4 hours"}`, code: 2, stderr: "defer_for"},
		{name: "bad -now", event: valid, args: []string{"-now", "today"}, code: 2, stderr: "-now"},
		{name: "-dns and -zone", event: valid, args: []string{"-dns", "127.0.0.1", "-zone", decideData + "zone.txt"}, code: 2, stderr: "-dns"},
		{name: "no -event", args: []string{}, code: 2, stderr: "-event"},
		{name: "missing event file", args: []string{"-event", "nowhere.json"}, code: 2, stderr: "nowhere.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"decide"}, tt.args...)
			if tt.event != "" {
				name := filepath.Join(dir, "event.json")
				require.NoError(t, os.WriteFile(name, []byte(tt.event), 0o644))
				args = append(args, "-event", name)
			}
			if tt.policy != "" {
				name := filepath.Join(dir, "policy.json")
				require.NoError(t, os.WriteFile(name, []byte(tt.policy), 0o644))
				args = append(args, "-policy", name)
			}
			code, stdout, stderr := runCommand(t, "", args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			if tt.code != 0 {
				assert.Empty(t, stdout)
				assert.Contains(t, stderr, tt.stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
		})
	}
}

// auditEvent is an event from 203.0.113.5, which example.org's SPF record
// does not list, with the given original and extra keys.
func auditEvent(t *testing.T, message, extra string) string {
	t.Helper()
	m, err := json.Marshal(message)
	require.NoError(t, err)
	return `{"return_path":"alice@example.org","client_ip":"203.0.113.5","helo":"mail.example.org",
		"received_at":"2026-11-27T10:00:00Z",` + extra + `"message":` + string(m) + `,
		"recipients":[{"address":"bob@hosted.example","status":"5.1.1"}]}`
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	return path
}

// TestDecideCommandTrustsOnlyOurFirstField: with trust_recorded_headers,
// only the topmost SPF field naming our host, above our own topmost
// Received, and on this return path, counts (RFC 8601 §5, RFC 7208 §9.1);
// else SPF is evaluated.
func TestDecideCommandTrustsOnlyOurFirstField(t *testing.T) {
	const by = "Received: from mail.example.org by mx.hosted.example\r\n"
	const forged = "Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org; identity=mailfrom\r\n"
	tests := []struct {
		name, header, result, source string
	}{
		{"our Authentication-Results above a forged Received-SPF",
			"Authentication-Results: mx.hosted.example; spf=fail smtp.mailfrom=alice@example.org\r\n" + by + forged, "fail", "recorded"},
		{"our HELO verdict above a forged mailfrom pass",
			"Received-SPF: pass receiver=mx.hosted.example; helo=mail.example.org; identity=helo; client-ip=203.0.113.5\r\n" + by + forged, "fail", "evaluated"},
		{"several spf results in our Authentication-Results (RFC 8601 §2.7.2)",
			"Authentication-Results: mx.hosted.example; spf=pass smtp.helo=mail.example.org; spf=fail smtp.mailfrom=alice@example.org\r\n" + by + forged, "fail", "recorded"},
		{"Received-SPF naming no sender", "Received-SPF: pass receiver=mx.hosted.example\r\n", "fail", "evaluated"},
		{"Authentication-Results naming no identity", "Authentication-Results: mx.hosted.example; spf=pass\r\n", "fail", "evaluated"},
		{"below a Received by another host", "Received: from x by relay.example.net\r\n" + forged, "fail", "evaluated"},
		{"ours, above our Received, on this return path", forged + by, "pass", "recorded"},
		{"the sender's, below our Received", by + forged, "fail", "evaluated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := writeFile(t, t.TempDir(), "event.json", auditEvent(t, tt.header+"From: alice@example.org\r\n\r\nHello.\r\n", ""))
			code, stdout, stderr := runCommand(t, "", "decide", "-event", event, "-policy", decideData+"policy.json", "-zone", decideData+"zone.txt")
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Equal(t, map[string]any{"result": tt.result, "source": tt.source}, decodeJSON(t, stdout)["spf"])
		})
	}
}

// TestDecideCommandLongHeaders: a header past 256 KiB is read to its end
// for rule 4 (RFC 3834 §2), and one over 1 MiB still gives a DSN, without
// the original, not a failure.
func TestDecideCommandLongHeaders(t *testing.T) {
	fill := strings.Repeat("X-Filler: "+strings.Repeat("f", 100)+"\r\n", 12000) // 1.3 MB
	for _, tt := range []struct {
		name, header, action, reason, returned string
	}{
		{"Auto-Submitted after 1.3 MB", fill + "Auto-Submitted: auto-replied\r\n", "drop", "loop", ""},
		{"header of 1.3 MB", fill, "bounce", "spf-pass", "none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "original.eml", tt.header+"From: alice@example.org\r\n\r\nHello.\r\n")
			event := writeFile(t, dir, "event.json", `{"return_path":"alice@example.org","spf":"pass","message_file":"original.eml",
				"recipients":[{"address":"bob@hosted.example","status":"5.1.1"}]}`)
			out := filepath.Join(dir, "dsn.eml")
			code, stdout, stderr := runCommand(t, "", "decide", "-event", event, "-policy", decideData+"policy.json", "-dsn", out)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			got := decodeJSON(t, stdout)
			assert.Equal(t, tt.action, got["action"])
			assert.Equal(t, tt.reason, got["reason"])
			if tt.returned != "" {
				data, err := os.ReadFile(out)
				require.NoError(t, err)
				r, err := dsn.Parse(bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, dsn.ReturnedContent(tt.returned), r.Returned)
			}
		})
	}
}

// TestDecideCommandInvalidInput: what dsn.Compose could not write is
// invalid input (exit 2) naming the field, never a failure (exit 1).
func TestDecideCommandInvalidInput(t *testing.T) {
	valid := `{"return_path":"alice@example.org","client_ip":"192.0.2.10","helo":"mail.example.org","spf":"pass",
		"received_at":"2026-11-27T10:00:00Z","recipients":[{"address":"bob@hosted.example","status":"5.1.1","remote_mta":"mx.remote.example"}]}`
	edit := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}
	tests := []struct {
		name, event, stderr string
	}{
		{"3000-octet local part (RFC 5321 §4.5.3.1.1)", edit(`"bob@`, `"`+strings.Repeat("b", 3000)+`@`), "recipients[0].address"},
		{"empty labels", edit(`"alice@example.org"`, `"alice@.."`), "return_path"},
		{"address literal with a port", edit(`"alice@example.org"`, `"alice@[1.2.3.4]:25"`), "return_path"},
		{"stray quote", edit(`"alice@example.org"`, `"\"a\"b\"@example.org"`), "return_path"},
		{"non-ASCII HELO", edit(`"mail.example.org"`, `"mäil.example.org"`), "helo"},
		{"non-ASCII remote MTA", edit(`"mx.remote.example"`, `"mx.bücher.example"`), "recipients[0].remote_mta"},
		{"IPv6 zone in client_ip", edit(`"192.0.2.10"`, `"fe80::1%eth0"`), "client_ip"},
		{"in session, nothing failed", edit(`"status":"5.1.1"`, `"status":"2.0.0","action":"delivered"`), "in_session"},
		{"type error in a recipient", edit(`"address":"bob@hosted.example"`, `"address":7`), "recipients[0].address: want a string, not 7"},
		{"unknown key in a recipient", edit(`"status":"5.1.1"`, `"status":"5.1.1","colour":"red"`), `recipients[0]: unknown key "colour"`},
		{"message_file outside the event's directory", edit(`"spf"`, `"ret":"FULL","message_file":"../../../etc/passwd","spf"`), "message_file"},
		{"absolute message_file", edit(`"spf"`, `"message_file":"/etc/passwd","spf"`), "message_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := tt.event
			if tt.stderr == "in_session" {
				event = strings.Replace(event, `"spf"`, `"in_session":true,"spf"`, 1)
			}
			path := writeFile(t, t.TempDir(), "event.json", event)
			code, stdout, stderr := runCommand(t, "", "decide", "-event", path)
			assert.Equal(t, 2, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

// TestDecideCommandMessageFileSymlink: a link out of the event's
// directory is refused too (os.OpenInRoot).
func TestDecideCommandMessageFileSymlink(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "original.eml")))
	event := writeFile(t, dir, "event.json", `{"return_path":"alice@example.org","spf":"pass","ret":"FULL","message_file":"original.eml",
		"recipients":[{"address":"bob@hosted.example","status":"5.1.1"}]}`)
	code, stdout, stderr := runCommand(t, "", "decide", "-event", event)
	assert.Equal(t, 2, code, "stderr: %s", stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "message_file")
}

// TestDecideCommandPolicyStdinAndOffset: -policy - reads stdin, and -now
// may carry any numeric offset.
func TestDecideCommandPolicyStdinAndOffset(t *testing.T) {
	code, stdout, stderr := runCommand(t, `{"reporting_mta":"mx.hosted.example","reevaluate_spf":false}`,
		"decide", "-event", decideData+"temperror.json", "-policy", "-", "-now", "2026-11-27T12:05:00+02:00")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	got := decodeJSON(t, stdout)
	assert.Equal(t, "defer", got["action"])
	assert.Equal(t, "2026-11-27T10:35:00Z", got["retry_at"], "10:05 UTC plus 30 minutes")
}

// TestDecideCommandSPFSourceOmitted: with nothing recorded and no client
// IP to evaluate with, the result is none and spf.source is left out.
func TestDecideCommandSPFSourceOmitted(t *testing.T) {
	event := writeFile(t, t.TempDir(), "event.json", `{"return_path":"alice@example.org","helo":"mail.example.org",
		"recipients":[{"address":"bob@hosted.example","status":"5.1.1"}]}`)
	code, stdout, stderr := runCommand(t, "", "decide", "-event", event)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Equal(t, map[string]any{"result": "none"}, decodeJSON(t, stdout)["spf"])
}

func TestDecideCommandHelp(t *testing.T) {
	code, stdout, _ := runCommand(t, "", "decide", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "spf.source")
	assert.Contains(t, stdout, "left out")
}
