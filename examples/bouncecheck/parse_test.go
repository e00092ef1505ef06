package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const parseTestDSN = "From: MAILER-DAEMON@mx.example.net\r\n" +
	"To: alice@example.org\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Your message could not be delivered.\r\n" +
	"--b\r\n" +
	"Content-Type: message/delivery-status\r\n" +
	"\r\n" +
	"Original-Envelope-Id: QQ314159\r\n" +
	"Reporting-MTA: dns; mx.example.net\r\n" +
	"Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n" +
	"\r\n" +
	"Original-Recipient: rfc822; Bob@example.com\r\n" +
	"Final-Recipient: rfc822; bob@example.com\r\n" +
	"Action: failed\r\n" +
	"Status: 5.1.1\r\n" +
	"Remote-MTA: dns; mx.example.com\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: no such\r\n" +
	" user\r\n" +
	"Last-Attempt-Date: Fri, 27 Nov 2026 10:00:05 +0900\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; carol@example.com\r\n" +
	"Action: delayed\r\n" +
	"Status: 4.4.1\r\n" +
	"Remote-MTA: dns; [192.0.2.7]\r\n" +
	"Will-Retry-Until: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
	"--b\r\n" +
	"Content-Type: text/rfc822-headers\r\n" +
	"\r\n" +
	"Message-ID: <orig@example.org>\r\n" +
	"--b--\r\n"

// writeTemp writes content to a file in a test's temporary directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func runParseCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append([]string{"parse"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestParseCommand checks the JSON contract of "bouncecheck parse FILE"
// (docs/design.md): fixed keys, addresses without their type, RFC 3339 dates,
// "" for what the report does not carry.
func TestParseCommand(t *testing.T) {
	code, stdout, stderr := runParseCommand(writeTemp(t, "dsn.eml", parseTestDSN))
	require.Equal(t, 0, code, stderr)
	want := `{
	  "reporting_mta": "mx.example.net",
	  "original_envelope_id": "QQ314159",
	  "arrival_date": "2026-11-27T10:00:00+09:00",
	  "recipients": [
	    {"final_recipient": "bob@example.com", "final_recipient_type": "rfc822",
	     "original_recipient": "Bob@example.com", "action": "failed", "status": "5.1.1",
	     "remote_mta": "mx.example.com", "diagnostic_code": "550 5.1.1 <bob@example.com>: no such user",
	     "last_attempt_date": "2026-11-27T10:00:05+09:00", "will_retry_until": ""},
	    {"final_recipient": "carol@example.com", "final_recipient_type": "rfc822",
	     "original_recipient": "", "action": "delayed", "status": "4.4.1",
	     "remote_mta": "192.0.2.7", "diagnostic_code": "",
	     "last_attempt_date": "", "will_retry_until": "2026-11-28T10:00:00Z"}
	  ],
	  "returned": "headers"
	}`
	assert.JSONEq(t, want, stdout)
}

func TestParseCommandCorpus(t *testing.T) {
	path := "../../../shared/testdata/dsn-corpus/lhost-postfix-13.eml"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no corpus at %s (it lives beside the project in ../shared): %v", path, err)
	}
	code, stdout, stderr := runParseCommand(path)
	require.Equal(t, 0, code, stderr)
	var out struct {
		Recipients []struct {
			FinalRecipient string `json:"final_recipient"`
			Status         string `json:"status"`
		} `json:"recipients"`
		Returned string `json:"returned"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Recipients, 2)
	assert.Equal(t, "noraneko@example.jp", out.Recipients[1].FinalRecipient)
	assert.Equal(t, "5.2.2", out.Recipients[1].Status)
	assert.Equal(t, "full", out.Returned)
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stderrIs string
	}{
		{"no FILE", nil, 2, "parse: want exactly one argument"},
		{"two files", []string{"a", "b"}, 2, "parse: want exactly one argument"},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.eml")}, 2, "parse: open "},
		{"auto-reply", []string{writeTemp(t, "reply.eml", "Subject: Out of office\r\n\r\nAway.\r\n")}, 1,
			"not a DSN: text/plain message without a message/delivery-status part"},
		{"malformed report", []string{writeTemp(t, "bad.eml", strings.Replace(parseTestDSN, "Action: failed\r\n", "", 1))}, 2,
			"parse: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runParseCommand(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, tt.stderrIs), "stderr %q", stderr)
		})
	}
}
