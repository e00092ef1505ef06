package policy

import (
	"bytes"
	"encoding/base64"
	"flag"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// composedReply decides ev, which must get a reply, and returns it.
func composedReply(t *testing.T, ev ReplyEvent) *Message {
	t.Helper()
	d, _ := decideReply(t, ev, "")
	require.Equal(t, SendReply, d.Action, d.String())
	require.NotNil(t, d.Reply)
	return d.Reply
}

// checkLines checks that every line of m ends in CRLF and is within 998
// octets (RFC 5322 §2.1.1), and returns it parsed.
func checkLines(t *testing.T, m *Message) *mail.Message {
	t.Helper()
	data := m.Data
	assert.Equal(t, int64(len(data)), m.Size)
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		require.True(t, bytes.HasSuffix(line, []byte("\r\n")), "line %d %q", i, line)
		body := line[:len(line)-2]
		require.False(t, bytes.ContainsAny(body, "\r\n"), "line %d %q", i, line)
		require.LessOrEqual(t, len(body), 998, "line %d", i)
	}
	var w bytes.Buffer
	n, err := m.WriteTo(&w)
	require.NoError(t, err)
	assert.Equal(t, m.Size, n)
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	return msg
}

// TestReplyGolden compares the composed replies with the files in
// testdata/golden, deterministic through the test policy's clock and
// Message-ID, stored with LF line endings; run `go test ./policy -run
// Golden -update` to rewrite them.
func TestReplyGolden(t *testing.T) {
	utf8 := testReplyEvent()
	utf8.Original = OriginalBytes([]byte("From: =?iso-8859-1?q?J=F6rg?= <alice@example.org>\r\n" +
		"To: Bob <bob@hosted.example>\r\n" +
		"Subject: =?iso-8859-1?q?R=E9union_=E0_midi?=\r\n" +
		"Message-ID: <reunion-2@example.org>\r\n" +
		"References: <agenda-1@example.org>\r\n <reunion-1@example.org> (earlier)\r\n" +
		"\r\n" +
		"On se voit ?\r\n"))
	utf8.Text = "Je suis absent jusqu'à lundi.\r\nVotre message sera lu à mon retour.\r\n"
	given := testReplyEvent()
	given.Subject, given.MailFrom = "Away until Monday", "bob+vacation@hosted.example"
	for name, ev := range map[string]ReplyEvent{
		"reply-plain":         testReplyEvent(),
		"reply-utf8":          utf8,
		"reply-given-subject": given,
	} {
		t.Run(name, func(t *testing.T) {
			m := composedReply(t, ev)
			checkLines(t, m)
			got := bytes.ReplaceAll(m.Data, []byte("\r\n"), []byte("\n"))
			path := filepath.Join("testdata", "golden", name+".eml")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), string(got))
		})
	}
}

// RFC 3834 §3: the reply's envelope and header.
func TestReplyMessageRFC3834Section3(t *testing.T) {
	m := composedReply(t, testReplyEvent())
	assert.Equal(t, "", m.MailFrom, "RFC 3834 §3.3: the null reverse path")
	assert.Equal(t, "alice@example.org", m.RcptTo)
	msg := checkLines(t, m)
	h := msg.Header
	assert.Equal(t, "auto-replied", h.Get("Auto-Submitted"))
	assert.Equal(t, "<bob@hosted.example>", h.Get("From"))
	assert.Equal(t, "<alice@example.org>", h.Get("To"))
	assert.Equal(t, "Auto: lunch", h.Get("Subject"))
	assert.Equal(t, "<lunch-1@example.org>", h.Get("In-Reply-To"))
	assert.Equal(t, "<lunch-1@example.org>", h.Get("References"))
	assert.Equal(t, "<dsn-1@mx.hosted.example>", h.Get("Message-ID"))
	assert.Equal(t, "1.0", h.Get("MIME-Version"))
	assert.Equal(t, "text/plain; charset=utf-8", h.Get("Content-Type"))
	date, err := h.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(testNow))
	body, err := io.ReadAll(msg.Body)
	require.NoError(t, err)
	assert.Equal(t, "I am away until Monday.\r\nYour mail will be read then.\r\n", string(body))

	ev := testReplyEvent()
	ev.MailFrom = "bob+vacation@hosted.example"
	assert.Equal(t, "bob+vacation@hosted.example", composedReply(t, ev).MailFrom)
}

// The reply threads to the original (RFC 5322 §3.6.4), taking only ids
// it can carry, and leaves the thread fields out when the original's id
// is unusable.
func TestReplyThreading(t *testing.T) {
	refs := make([]string, 30)
	for i := range refs {
		refs[i] = "<r" + strings.Repeat("x", i) + "@example.org>"
	}
	for _, tt := range []struct {
		name, fields, inReplyTo, references string
	}{
		{"no Message-ID", "", "", ""},
		{"two Message-IDs", "Message-ID: <other@example.org>\r\n", "", ""},
		{"glued references, a bad one skipped", "References: <a@example.org><not an id><b@example.org>\r\n",
			"<lunch-1@example.org>", "<a@example.org> <b@example.org> <lunch-1@example.org>"},
		{"the original's id not repeated", "References: <lunch-1@example.org>\r\n", "<lunch-1@example.org>", "<lunch-1@example.org>"},
		{"many references, the last kept", "References: " + strings.Join(refs, " ") + "\r\n",
			"<lunch-1@example.org>", strings.Join(refs[len(refs)-maxReferences+1:], " ") + " <lunch-1@example.org>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := strings.Replace(originalMessage, "Message-ID: <lunch-1@example.org>\r\n", "", 1)
			if tt.inReplyTo != "" || tt.name == "two Message-IDs" {
				msg = tt.fields + originalMessage
			}
			ev := testReplyEvent()
			ev.Original = OriginalBytes([]byte(msg))
			h := checkLines(t, composedReply(t, ev)).Header
			assert.Equal(t, tt.inReplyTo, h.Get("In-Reply-To"))
			assert.Equal(t, tt.references, strings.Join(strings.Fields(h.Get("References")), " "))
		})
	}
}

// Hostile originals: whatever the header holds, the decision is made and
// the reply is well formed, with no field the input put there.
func TestReplyHostileOriginal(t *testing.T) {
	for _, tt := range []struct {
		name, msg, subject string
	}{
		{"huge header before To", "X-Fill: " + strings.Repeat("f", 3<<20) + "\r\n" + originalMessage, "Auto: lunch"},
		{"many fields", strings.Repeat("X-Fill: f\r\n", 100_000) + originalMessage, "Auto: lunch"},
		{"CR-only line breaks", strings.ReplaceAll(originalMessage, "\r\n", "\r"), "Auto: lunch"},
		{"LF-only line breaks", strings.ReplaceAll(originalMessage, "\r\n", "\n"), "Auto: lunch"},
		{"CR LF in an encoded word", "Subject: =?utf-8?q?hi=0D=0ABcc:_eve@example.net?=\r\n" + originalMessage, "Auto: hi Bcc: eve@example.net"},
		{"a line separator in an encoded word", "Subject: =?utf-8?b?" + b64("a\u2028b\u0085c") + "?=\r\n" + originalMessage, "Auto: a b c"},
		{"NUL and DEL", "Subject: a\x00b\x7fc\r\n" + originalMessage, "Auto: a b c"},
		{"invalid UTF-8", "Subject: caf\xe9\r\n" + originalMessage, "Auto: caf\uFFFD"},
		{"an unknown charset", "Subject: =?x-klingon?q?Qapla=27?=\r\n" + originalMessage, "Auto: =?x-klingon?q?Qapla=27?="},
		{"a long word", "Subject: " + strings.Repeat("w", 5000) + "\r\n" + originalMessage, "Auto: " + strings.Repeat("w", maxReplySubject-len("Auto: "))},
		{"a long UTF-8 subject", "Subject: " + strings.Repeat("é ", 2000) + "\r\n" + originalMessage, strings.TrimSpace("Auto: " + strings.Repeat("é ", 298))},
		{"a folded subject", "Subject: one\r\n two\r\n\tthree\r\n" + originalMessage, "Auto: one two three"},
		{"encoded words in plain ASCII", "Subject: =?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3F=3D?=\r\n" + originalMessage, "Auto: =?utf-8?q?x?="},
		{"a Message-ID with a line break", "Message-ID: <a@b>\r\nBcc: eve@example.net\r\n" + strings.Replace(originalMessage, "Message-ID: <lunch-1@example.org>\r\n", "", 1), "Auto: lunch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := testReplyEvent()
			ev.Original = OriginalBytes([]byte(tt.msg))
			msg := checkLines(t, composedReply(t, ev))
			var dec mime.WordDecoder
			subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			require.NoError(t, err)
			assert.Equal(t, tt.subject, subject)
			for name := range msg.Header {
				assert.Contains(t, []string{"From", "To", "Subject", "Date", "Message-Id", "In-Reply-To", "References",
					"Auto-Submitted", "Mime-Version", "Content-Type", "Content-Transfer-Encoding"}, name)
			}
		})
	}
}

// b64 is s in base64, for encoded words.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// The body: CRLF, LF and a lone CR each one line break; non-ASCII or a
// line over 998 octets quoted-printable, reading back as given.
func TestReplyBody(t *testing.T) {
	long := strings.Repeat("l", 2000)
	for _, tt := range []struct {
		name, text, enc, want string
	}{
		{"LF", "a\nb\n", "7bit", "a\r\nb\r\n"},
		{"lone CR", "a\rb", "7bit", "a\r\nb\r\n"},
		{"CRLF and a blank line", "a\r\n\r\nb\r\n", "7bit", "a\r\n\r\nb\r\n"},
		{"tab", "a\tb", "7bit", "a\tb\r\n"},
		{"UTF-8", "Grüße\n", "quoted-printable", "Grüße\r\n"},
		{"a long line", long, "quoted-printable", long + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := testReplyEvent()
			ev.Text = tt.text
			msg := checkLines(t, composedReply(t, ev))
			assert.Equal(t, tt.enc, msg.Header.Get("Content-Transfer-Encoding"))
			var r io.Reader = msg.Body
			if tt.enc == "quoted-printable" {
				r = quotedprintable.NewReader(r)
			}
			body, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(body))
		})
	}
}

// A Message-ID hook that makes no id is refused, naming the option.
func TestReplyMessageIDHook(t *testing.T) {
	p := replyPolicy(nil, newFakeStore())
	p.ComposeOptions.MessageID = func() string { return "<no id>" }
	_, err := p.DecideReply(t.Context(), testReplyEvent())
	assert.ErrorIs(t, err, ErrInvalidPolicy)
	assert.ErrorContains(t, err, "ComposeOptions.MessageID")

	p = replyPolicy(nil, newFakeStore())
	p.ComposeOptions.MessageID = nil
	d, err := p.DecideReply(t.Context(), testReplyEvent())
	require.NoError(t, err)
	h := checkLines(t, d.Reply).Header
	assert.Regexp(t, `^<[0-9a-f]{32}@mx\.hosted\.example>$`, h.Get("Message-ID"))
}
