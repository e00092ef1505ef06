package dsn

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// returnedHeaders is a DSN returning the given header lines as
// text/rfc822-headers.
func returnedHeaders(lines ...string) string {
	return report(basicStatus, append([]string{"--b1", "Content-Type: text/rfc822-headers", ""}, lines...)...)
}

// TestReturnedHeaderOrder: the returned header keeps its fields in order,
// names as written, values unfolded as net/mail does (RFC 5322 §2.2.3),
// repeated fields each in its place: the trace walk reads the topmost
// Received field first (RFC 5321 §4.4).
func TestReturnedHeaderOrder(t *testing.T) {
	r := mustParse(t, returnedHeaders(
		"Received: from mail.example.org (mail.example.org [192.0.2.10])",
		"\tby mx.hosted.example (Postfix) with ESMTP id 4Q;",
		"\tFri, 27 Nov 2026 10:00:00 +0000 (UTC)",
		"Received-SPF: pass receiver=mx.hosted.example",
		"received: from relay.example.org by mail.example.org; Fri, 27 Nov 2026 09:59:00 +0000",
		"Subject:   spaced   out  ",
		"Message-ID: <m.1@example.org>",
	))
	assert.Equal(t, Header{
		{"Received", "from mail.example.org (mail.example.org [192.0.2.10]) by mx.hosted.example (Postfix) with ESMTP id 4Q; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)"},
		{"Received-SPF", "pass receiver=mx.hosted.example"},
		{"received", "from relay.example.org by mail.example.org; Fri, 27 Nov 2026 09:59:00 +0000"},
		{"Subject", "spaced   out"},
		{"Message-ID", "<m.1@example.org>"},
	}, r.ReturnedHeader)
	assert.Equal(t, "<m.1@example.org>", r.ReturnedHeader.Get("message-id"))
	assert.Equal(t, "", r.ReturnedHeader.Get("In-Reply-To"))
	assert.Equal(t, []string{
		"from mail.example.org (mail.example.org [192.0.2.10]) by mx.hosted.example (Postfix) with ESMTP id 4Q; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)",
		"from relay.example.org by mail.example.org; Fri, 27 Nov 2026 09:59:00 +0000",
	}, r.ReturnedHeader.Values("RECEIVED"))
	assert.Nil(t, r.ReturnedHeader.Values("X-None"))
}

// TestReturnedHeaderLineBreaks: the returned header is read with the one
// line-break rule of mailsyntax (CRLF, LF or a lone CR), so a lone CR
// cannot hide a field from a trace walk or make one up.
func TestReturnedHeaderLineBreaks(t *testing.T) {
	for name, in := range map[string]string{
		"CRLF":    "Received: from a by b; date\r\nX-Spam: yes\r\n",
		"LF":      "Received: from a by b; date\nX-Spam: yes\n",
		"lone CR": "Received: from a by b; date\rX-Spam: yes\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, report(basicStatus, "--b1", "Content-Type: text/rfc822-headers", "", in))
			assert.Equal(t, Header{{"Received", "from a by b; date"}, {"X-Spam", "yes"}}, r.ReturnedHeader)
		})
	}
	// An empty line of lone CRs ends the header: what follows is body.
	r := mustParse(t, report(basicStatus, "--b1", "Content-Type: message/rfc822", "", "Subject: a\r\rX-Body: not a field\r\nX-More: body"))
	assert.Equal(t, Header{{"Subject", "a"}}, r.ReturnedHeader)
	// A lone CR in a folded field still ends a line.
	r = mustParse(t, report(basicStatus, "--b1", "Content-Type: text/rfc822-headers", "", "Subject: a\r b\rX-Spam: yes\r\n\tno"))
	assert.Equal(t, Header{{"Subject", "a b"}, {"X-Spam", "yes no"}}, r.ReturnedHeader)
}

// TestReturnedHeaderEncoded: a base64 header part is decoded and read the
// same way.
func TestReturnedHeaderEncoded(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("Received: from a\r\n by b; date\r\nMessage-ID: <x@y>\r\n"))
	r := mustParse(t, report(basicStatus, "--b1", "Content-Type: text/rfc822-headers", "Content-Transfer-Encoding: base64", "", enc))
	assert.Equal(t, Header{{"Received", "from a by b; date"}, {"Message-ID", "<x@y>"}}, r.ReturnedHeader)
}

// TestReturnedHeaderBounded: past 64 KiB the returned header's later
// fields are left out, and the field cut at the limit with them: no value
// is ever read short.
func TestReturnedHeaderBounded(t *testing.T) {
	lines := []string{"First: 1"}
	for range 2000 {
		lines = append(lines, "X-Fill: "+strings.Repeat("f", 60))
	}
	lines = append(lines, "Last: 1")
	r := mustParse(t, returnedHeaders(lines...))
	require.NotEmpty(t, r.ReturnedHeader)
	assert.Equal(t, "1", r.ReturnedHeader.Get("First"))
	assert.Equal(t, "", r.ReturnedHeader.Get("Last"))
	size := 0
	for _, f := range r.ReturnedHeader {
		size += len(f.Name) + len(": ") + len(f.Value) + len("\r\n") - len(":") // the colon is not counted
		if f.Name == "X-Fill" {
			assert.Len(t, f.Value, 60, "a value cut at the limit")
		}
	}
	assert.LessOrEqual(t, size, maxReturnedHeaderLen)
	assert.Greater(t, size, maxReturnedHeaderLen-100)
}

// TestHeaderWriteTo: a Header writes as a message header that reads back
// as the same Header, in order, so that it can stand for the original.
func TestHeaderWriteTo(t *testing.T) {
	long := strings.Repeat("word ", 300) + "end"
	h := Header{
		{"Received", "from a (a [192.0.2.1]) by b; Fri, 27 Nov 2026 10:00:00 +0000"},
		{"Subject", "two  spaces kept"},
		{"X-Long", long},
		{"received", "from c by d; Fri, 27 Nov 2026 09:00:00 +0000"},
	}
	var buf bytes.Buffer
	n, err := h.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	out := buf.String()
	assert.True(t, strings.HasPrefix(out, "Received: from a (a [192.0.2.1]) by b; Fri, 27 Nov 2026 10:00:00 +0000\r\nSubject: two  spaces kept\r\n"), out)
	assert.True(t, strings.HasSuffix(out, "\r\n\r\n"))
	for line := range strings.Lines(out) {
		assert.LessOrEqual(t, len(line), 1000, "RFC 5322 §2.1.1: at most 998 octets and CRLF")
	}
	back := mustParse(t, returnedHeaders(strings.Split(strings.TrimSuffix(out, "\r\n\r\n"), "\r\n")...))
	assert.Equal(t, h, back.ReturnedHeader)

	n, err = Header(nil).WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "an empty header is the empty line alone")
}

// TestHeaderWriteToRefuses: what would break the header's structure is
// refused with a FieldError, and nothing is written.
func TestHeaderWriteToRefuses(t *testing.T) {
	for _, tt := range []struct {
		h     Header
		field string
	}{
		{Header{{"Subject", "ok"}, {"X-Bad", "a\r\nBcc: evil@example.org"}}, "Header[1].Value"},
		{Header{{"X-Bad", "a\rB: c"}}, "Header[0].Value"},
		{Header{{"Bad Name", "v"}}, "Header[0].Name"},
		{Header{{"Bad:Name", "v"}}, "Header[0].Name"},
		{Header{{"", "v"}}, "Header[0].Name"},
	} {
		var buf bytes.Buffer
		_, err := tt.h.WriteTo(&buf)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%v", tt.h)
		assert.Equal(t, tt.field, fe.Field)
		assert.ErrorIs(t, err, ErrInvalidField)
		assert.Zero(t, buf.Len())
	}
}
