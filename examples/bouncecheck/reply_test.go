package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const replyData = "testdata/reply/"

// replyNow is 5 minutes after the events' receipt.
const replyNow = "2026-11-27T10:05:00Z"

// TestReplyCommand runs `bouncecheck reply` on the event files of
// testdata/reply and checks the JSON of docs/design.md.
func TestReplyCommand(t *testing.T) {
	for _, tt := range []struct {
		event string
		want  map[string]any
	}{
		{"genuine.json", map[string]any{"action": "reply", "reason": "spf-pass",
			"spf":   map[string]any{"result": "pass", "source": "evaluated"},
			"reply": map[string]any{"mail_from": "", "rcpt_to": "alice@genuine.example", "bytes": 0.0}}},
		{"forged.json", map[string]any{"action": "none", "reason": "spf-fail",
			"spf": map[string]any{"result": "fail", "source": "evaluated"}}},
		{"list.json", map[string]any{"action": "none", "reason": "list"}},
		{"temperror.json", map[string]any{"action": "defer", "reason": "spf-temperror",
			"spf": map[string]any{"result": "temperror", "source": "recorded"}, "retry_at": "2026-11-27T10:35:00Z"}},
	} {
		t.Run(tt.event, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "reply.eml")
			require.NoError(t, os.WriteFile(out, []byte("left by an earlier run"), 0o644))
			code, stdout, stderr := runCommand(t, "", "reply", "-event", replyData+tt.event,
				"-zone", "testdata/spf.zone", "-now", replyNow, "-out", out)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			got := decodeJSON(t, stdout)
			if msg, ok := got["reply"].(map[string]any); ok {
				data, err := os.ReadFile(out)
				require.NoError(t, err)
				assert.Equal(t, float64(len(data)), msg["bytes"])
				assert.Contains(t, string(data), "Auto-Submitted: auto-replied\r\n")
				assert.Contains(t, string(data), "In-Reply-To: <lunch-42@example.org>\r\n")
				msg["bytes"] = 0.0
			} else {
				assert.NoFileExists(t, out, "no reply: the earlier file is removed")
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// With -state, a sender gets the reply once per period across runs;
// without it, each run starts afresh.
func TestReplyCommandState(t *testing.T) {
	state := t.TempDir()
	args := []string{"reply", "-event", replyData + "genuine.json", "-zone", "testdata/spf.zone", "-now", replyNow}
	reason := func(extra ...string) string {
		t.Helper()
		code, stdout, stderr := runCommand(t, "", append(args, extra...)...)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		return decodeJSON(t, stdout)["reason"].(string)
	}
	assert.Equal(t, "spf-pass", reason("-state", state))
	assert.Equal(t, "already-replied", reason("-state", state))
	assert.Equal(t, "spf-pass", reason(), "no state kept")
	assert.Equal(t, "spf-pass", reason("-now", "2026-12-04T10:05:00Z", "-state", state), "7 days on")
	assert.FileExists(t, filepath.Join(state, replyStateFile))
}

// Invalid input is exit 2 with one line naming the JSON key.
func TestReplyCommandInvalid(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	msg := `"message": "To: bob@hosted.example\r\n\r\nhi\r\n"`
	for _, tt := range []struct {
		name, event, stderr string
	}{
		{"no addresses", `{"return_path": "a@example.org", ` + msg + `}`, "event: addresses: "},
		{"a bad alias", `{"return_path": "a@example.org", "addresses": ["bob@hosted.example", "x"], ` + msg + `}`, "event: addresses[1]: "},
		{"days", `{"return_path": "a@example.org", "addresses": ["bob@hosted.example"], "days": -1, ` + msg + `}`, "event: days: "},
		{"subject", `{"return_path": "a@example.org", "addresses": ["bob@hosted.example"], "subject": "a\r\nBcc: x@y", ` + msg + `}`, "event: subject: "},
		{"no message", `{"return_path": "a@example.org", "addresses": ["bob@hosted.example"]}`, "event: message: "},
		{"unknown key", `{"return_path": "a@example.org", "recipients": []}`, "event: "},
		{"duplicate key", `{"days": 1, "days": 2}`, "event: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCommand(t, "", "reply", "-event", write("e.json", tt.event))
			assert.Equal(t, 2, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		})
	}
	code, _, stderr := runCommand(t, "", "reply", "-event", replyData+"genuine.json", "-state", filepath.Join(dir, "missing", "dir"))
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "-state")
	code, _, stderr = runCommand(t, "", "reply")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "-event FILE is required")
}
