package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommandHostileInput drives bouncecheck over hostile and invalid
// input, each case in a directory of its own holding event.json and
// policy.json (when given), a subdirectory sub, a FIFO fifo.eml and a link
// zero.eml to /dev/zero; "DIR" in args stands for it. Invalid input is
// exit status 2 with one line naming the key or field, in JSON's terms,
// never Go's.
func TestCommandHostileInput(t *testing.T) {
	const valid = `{"return_path":"alice@example.org","helo":"mail.example.org","spf":"pass",
		"recipients":[{"address":"bob@hosted.example","status":"5.1.1"}]}`
	edit := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}
	withMessageFile := func(name string) string { return edit(`"spf"`, `"message_file":"`+name+`","spf"`) }
	decideWith := func(more ...string) []string { return append([]string{"decide", "-event", "DIR/event.json"}, more...) }
	decide, withPolicy := decideWith(), decideWith("-policy", "DIR/policy.json")
	tests := []struct {
		name          string
		args          []string
		event, policy string // written to DIR when not empty
		stdin         string
		code          int
		stdout        string // a part of stdout; empty: stdout is empty
		stderr        string // a part of stderr; empty: stderr is empty
	}{
		// Keys match exactly, once, and are known, at every level.
		{name: "key in another case", args: decide, event: edit(`"return_path"`, `"Return_Path"`), code: 2, stderr: `event: unknown key "Return_Path"`},
		{name: "recipient key in another case", args: decide, event: edit(`"address"`, `"Address"`), code: 2, stderr: `event: recipients[0]: unknown key "Address"`},
		{name: "duplicate key", args: decide, event: edit(`"helo"`, `"helo":"evil.example","helo"`), code: 2, stderr: `event: duplicate key "helo"`},
		{name: "duplicate key spelt with an escape", args: decide, event: edit(`"helo"`, `"h\u0065lo":"evil.example","helo"`), code: 2, stderr: `event: duplicate key "helo"`},
		{name: "duplicate recipient key", args: decide, event: edit(`"status"`, `"status":"2.0.0","status"`), code: 2, stderr: `event: recipients[0]: duplicate key "status"`},
		{name: "unknown key", args: decide, event: edit(`"helo"`, `"foo":1,"helo"`), code: 2, stderr: `event: unknown key "foo"`},
		{name: "unknown key in a second recipient", args: decide,
			event: edit(`"status":"5.1.1"}`, `"status":"5.1.1"},{"adress":"carol@hosted.example"}`), code: 2, stderr: `event: recipients[1]: unknown key "adress"`},
		{name: "policy key in another case", args: withPolicy, event: valid, policy: `{"Mode":"always"}`, code: 2, stderr: `policy: unknown key "Mode"`},
		{name: "duplicate policy key", args: withPolicy, event: valid, policy: `{"mode":"always","mode":"discard"}`, code: 2, stderr: `policy: duplicate key "mode"`},
		{name: "on_spf key in another case", args: withPolicy, event: valid, policy: `{"on_spf":{"PASS":"drop"}}`, code: 2, stderr: `policy: on_spf: unknown key "PASS"`},
		{name: "duplicate on_spf key", args: withPolicy, event: valid, policy: `{"on_spf":{"pass":"bounce","pass":"drop"}}`, code: 2, stderr: `policy: on_spf: duplicate key "pass"`},

		// The keys of header trust, DKIM, notices and diagnostics.
		{name: "notice_on an unknown reason", args: withPolicy, event: valid, policy: `{"notice_on":["spf-bogus"]}`, code: 2, stderr: `policy: notice_on: "spf-bogus" is no reason for a drop`},
		{name: "notice_on a string", args: withPolicy, event: valid, policy: `{"notice_on":"spf-fail"}`, code: 2, stderr: "policy: notice_on: want an array, not a string"},
		{name: "authenticate without spf", args: withPolicy, event: valid, policy: `{"authenticate":["dkim"]}`, code: 2, stderr: "policy: authenticate: must include spf"},
		{name: "authenticate an unknown method", args: withPolicy, event: valid, policy: `{"authenticate":["spf","arc"]}`, code: 2, stderr: `policy: authenticate: unknown method "arc"`},
		{name: "trust_recorded_headers a string", args: withPolicy, event: valid, policy: `{"trust_recorded_headers":"yes"}`, code: 2, stderr: "policy: trust_recorded_headers: want true or false, not a string"},
		{name: "diagnostic without a type", args: decide, event: edit(`"status":"5.1.1"`, `"status":"5.1.1","diagnostic":"unknown user"`), code: 2, stderr: "event: recipients[0].diagnostic: "},
		{name: "diagnostic and reply", args: decide, event: edit(`"status":"5.1.1"`, `"status":"5.1.1","reply":"550 no","diagnostic":"x-local; no"`), code: 2, stderr: "event: recipients[0].diagnostic: give a reply or a diagnostic, not both"},
		{name: "all the new keys", args: withPolicy, event: edit(`"status":"5.1.1"`, `"status":"5.1.1","diagnostic":"x-local; unknown user"`),
			policy: `{"notice_on":[],"authenticate":["spf","dkim"],"trust_recorded_headers":true}`, code: 0, stdout: `"reason": "spf-pass"`},

		// One JSON object, all of it.
		{name: "data after the event", args: decide, event: valid + "xx", code: 2, stderr: "event: data after the JSON object"},
		{name: "brace after the event", args: decide, event: valid + "}", code: 2, stderr: "event: data after the JSON object"},
		{name: "two policies", args: withPolicy, event: valid, policy: `{} {"mode":"discard"}`, code: 2, stderr: "policy: data after the JSON object"},
		{name: "empty event", args: []string{"decide", "-event", "-"}, code: 2, stderr: "event: not JSON: unexpected end of input"},
		{name: "event cut short", args: decide, event: valid[:40], code: 2, stderr: "event: not JSON: unexpected end of input"},
		{name: "event an array", args: decide, event: "[" + valid + "]", code: 2, stderr: "event: want an object, not an array"},
		{name: "policy not JSON", args: withPolicy, event: valid, policy: `{"mode" "always"}`, code: 2, stderr: "policy: not JSON: invalid character"},
		{name: "event /dev/zero", args: []string{"decide", "-event", "/dev/zero"}, code: 2, stderr: "event: not JSON: invalid character '\\x00'"},

		// Wrong kinds are told in JSON's terms.
		{name: "recipients a string", args: decide, event: edit(`[{"address":"bob@hosted.example","status":"5.1.1"}]`, `"bob"`), code: 2, stderr: "event: recipients: want an array, not a string"},
		{name: "date a number", args: decide, event: edit(`"helo"`, `"received_at":5,"helo"`), code: 2, stderr: "event: received_at: want a string, not 5"},
		{name: "flag a string", args: decide, event: edit(`"helo"`, `"in_session":"yes","helo"`), code: 2, stderr: "event: in_session: want true or false, not a string"},
		{name: "recipient field null", args: decide, event: edit(`"5.1.1"`, `null`), code: 2, stderr: "event: recipients[0].status: want a string, not null"},
		{name: "recipient an array", args: decide, event: edit(`{"address"`, `[],{"address"`), code: 2, stderr: "event: recipients[0]: want an object, not an array"},
		{name: "size a string", args: withPolicy, event: valid, policy: `{"return_size_limit":"big"}`, code: 2, stderr: "policy: return_size_limit: want an integer, not a string"},
		{name: "size a fraction", args: withPolicy, event: valid, policy: `{"return_size_limit":1.5}`, code: 2, stderr: "policy: return_size_limit: want an integer, not 1.5"},
		{name: "size past int64", args: withPolicy, event: valid, policy: `{"return_size_limit":1e99}`, code: 2, stderr: "policy: return_size_limit: want an integer, not 1e99"},
		{name: "optional flag null", args: withPolicy, event: valid, policy: `{"reevaluate_spf":null}`, code: 2, stderr: "policy: reevaluate_spf: want true or false, not null"},
		{name: "on_spf a string", args: withPolicy, event: valid, policy: `{"on_spf":"bounce"}`, code: 2, stderr: "policy: on_spf: want an object, not a string"},
		{name: "rate limits", args: withPolicy, event: valid, policy: `{"bounce_limit":{"max":100,"window":"1h"},"notice_limit":{"max":20}}`, code: 0, stdout: `"reason": "spf-pass"`},
		{name: "rate limit window", args: withPolicy, event: valid, policy: `{"bounce_limit":{"max":1,"window":"soon"}}`, code: 2, stderr: `policy: bounce_limit.window: "soon" is not a duration`},
		{name: "rate limit negative", args: withPolicy, event: valid, policy: `{"notice_limit":{"max":-1}}`, code: 2, stderr: "notice_limit.max: negative limit -1"},
		{name: "rate limit unknown key", args: withPolicy, event: valid, policy: `{"bounce_limit":{"per_domain":1}}`, code: 2, stderr: `policy: bounce_limit: unknown key "per_domain"`},

		// message_file is a regular file inside the event's directory.
		{name: "message_file a directory", args: decide, event: withMessageFile("sub"), code: 2, stderr: `event: message_file: "sub" is not a regular file`},
		{name: "message_file the directory itself", args: decide, event: withMessageFile("."), code: 2, stderr: `event: message_file: "." is not a regular file`},
		{name: "message_file a FIFO", args: decide, event: withMessageFile("fifo.eml"), code: 2, stderr: `event: message_file: "fifo.eml" is not a regular file`},
		{name: "message_file missing", args: decide, event: withMessageFile("nowhere.eml"), code: 2, stderr: "event: message_file: "},

		// Input files that cannot be read are invalid input; outputs that
		// would clash are bad usage.
		{name: "missing event file", args: []string{"decide", "-event", "DIR/nowhere.json"}, code: 2, stderr: "event: open "},
		{name: "missing policy file", args: []string{"decide", "-event", "DIR/event.json", "-policy", "DIR/nowhere.json"}, event: valid, code: 2, stderr: "policy: open "},
		{name: "endless zone", args: decideWith("-zone", "DIR/zero.eml"), event: valid, code: 2, stderr: "-zone DIR/zero.eml: resolver: zone: larger than 64 MiB"},
		{name: "missing DSN file", args: []string{"parse", "DIR/nowhere.eml"}, code: 2, stderr: "parse: open "},
		{name: "DSN file a directory", args: []string{"parse", "DIR/sub"}, code: 2, stderr: "is a directory"},
		{name: "-dsn and -notice the same file", args: decideWith("-dsn", "DIR/out.eml", "-notice", "DIR/./out.eml"),
			event: valid, code: 2, stderr: "decide: -dsn and -notice name the same file"},

		// Help on stdout, exit status 0; an unknown command gets the usage.
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "usage: bouncecheck [COMMAND [ARGS]]"},
		{name: "-help", args: []string{"-help"}, code: 0, stdout: "bouncecheck decide -event FILE"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "bouncecheck parse FILE"},
		{name: "spf -h", args: []string{"spf", "-h"}, code: 0, stdout: "usage: bouncecheck spf -ip IP"},
		{name: "decide --help", args: []string{"decide", "--help"}, code: 0, stdout: "write the DSN (a bounce) to this file"},
		{name: "parse -help", args: []string{"parse", "-help"}, code: 0, stdout: "usage: bouncecheck parse FILE"},
		{name: "demo -h", args: []string{"demo", "-h"}, code: 0, stdout: "usage: bouncecheck demo"},
		{name: "unknown command", args: []string{"bounce"}, code: 2, stderr: "bouncecheck: unknown command \"bounce\"\n\nusage: bouncecheck"},

		// parse - reads stdin.
		{name: "parse -", args: []string{"parse", "-"}, stdin: parseTestDSN, code: 0, stdout: `"reporting_mta": "mx.example.net"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileDir(t)
			for name, data := range map[string]string{"event.json": tt.event, "policy.json": tt.policy} {
				if data != "" {
					writeFile(t, dir, name, data)
				}
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			code, stdout, stderr := runCommand(t, tt.stdin, args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assertPart(t, tt.stdout, stdout, "stdout")
			assertPart(t, strings.ReplaceAll(tt.stderr, "DIR", dir), stderr, "stderr")
			if tt.code != 0 && tt.name != "unknown command" {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
			assert.NotRegexp(t, `(^|\s)json: |Go (struct|value)|main\.|time\.Time|netip\.Addr|\[\]`, stderr, "no Go in messages")
		})
	}
}

// hostileDir makes the directory of a TestCommandHostileInput case.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo.eml"), 0o644))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.eml")))
	return dir
}

// assertPart checks that got holds want, or, want being empty, is empty.
func assertPart(t *testing.T, want, got, what string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, got, what)
	} else {
		assert.Contains(t, got, want, what)
	}
}

// TestDecideCommandRemovesStaleOutput: -dsn and -notice leave a file
// exactly when the decision reports that message, removing one an earlier
// run left; what is not a regular file (an empty directory here, /dev/null
// in use) is left alone.
func TestDecideCommandRemovesStaleOutput(t *testing.T) {
	for _, event := range []string{"recorded-pass.json", "null-sender.json", "in-session.json"} { // bounce, drop, reject
		t.Run(event, func(t *testing.T) {
			dir := t.TempDir()
			dsnOut := writeFile(t, dir, "dsn.eml", "stale DSN")
			noticeOut := writeFile(t, dir, "notice.eml", "stale notice")
			code, stdout, stderr := runCommand(t, "", "decide", "-event", decideData+event,
				"-policy", decideData+"policy.json", "-dsn", dsnOut, "-notice", noticeOut)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			got := decodeJSON(t, stdout)
			for key, path := range map[string]string{"dsn": dsnOut, "notice": noticeOut} {
				msg, made := got[key].(map[string]any)
				if !made {
					assert.NoFileExists(t, path, key)
					continue
				}
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, float64(len(data)), msg["bytes"], key)
			}
		})
	}
	t.Run("a directory is left alone", func(t *testing.T) {
		dir := t.TempDir()
		code, _, stderr := runCommand(t, "", "decide", "-event", decideData+"in-session.json", "-dsn", dir)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		assert.DirExists(t, dir)
	})
}
