package dsn

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// benchHeadersDSN is a typical Postfix-style DSN of about 5 KB returning
// the original's header (text/rfc822-headers).
func benchHeadersDSN() []byte {
	var received strings.Builder
	for i := range 18 {
		received.WriteString("Received: from relay" + strings.Repeat("x", i) + ".example.org (relay.example.org [192.0.2.10])\r\n" +
			"\tby mx.example.net (Postfix) with ESMTPS id 4ABCDEF123\r\n" +
			"\tfor <bob@example.com>; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)\r\n")
	}
	// Postfix's notice, as the human-readable part.
	notice := "This is the mail system at host mx.example.net.\r\n\r\n" +
		"I'm sorry to have to inform you that your message could not\r\n" +
		"be delivered to one or more recipients. It's attached below.\r\n\r\n" +
		"For further assistance, please send mail to postmaster.\r\n\r\n" +
		"If you do so, please include this problem report. You can\r\n" +
		"delete your own text from the attached returned message.\r\n\r\n" +
		"                   The mail system\r\n\r\n" +
		"<bob@example.com>: host mx.example.com[192.0.2.20] said: 550 5.1.1\r\n" +
		"    <bob@example.com>: Recipient address rejected: User unknown in virtual\r\n" +
		"    mailbox table (in reply to RCPT TO command)"
	return []byte(strings.Replace(report(
		"Reporting-MTA: dns; mx.example.net\r\n"+
			"X-Postfix-Queue-ID: 4ABCDEF123\r\n"+
			"X-Postfix-Sender: rfc822; alice@example.org\r\n"+
			"Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0000 (UTC)\r\n"+
			"\r\n"+
			"Final-Recipient: rfc822; bob@example.com\r\n"+
			"Original-Recipient: rfc822; bob@example.com\r\n"+
			"Action: failed\r\n"+
			"Status: 5.1.1\r\n"+
			"Remote-MTA: dns; mx.example.com\r\n"+
			"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address\r\n"+
			"    rejected: User unknown in virtual mailbox table\r\n",
		"--b1",
		"Content-Description: Undelivered Message Headers",
		"Content-Type: text/rfc822-headers",
		"",
		strings.TrimSuffix(received.String(), "\r\n"),
		"Message-ID: <20261127100000.4ABCDEF123@example.org>",
		"Date: Fri, 27 Nov 2026 10:00:00 +0000",
		"From: Alice <alice@example.org>",
		"To: Bob <bob@example.com>",
		"Subject: Quarterly report",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
	), "Your message could not be delivered.", notice, 1))
}

// benchFullDSN is the same DSN returning a 1 MB original in full.
func benchFullDSN(size int) []byte {
	line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n"
	body := strings.Repeat(line, size/len(line))
	return []byte(report(basicStatus,
		"--b1",
		"Content-Type: message/rfc822",
		"",
		"Message-ID: <orig@example.org>",
		"Subject: big",
		"",
		body,
	))
}

// benchmarkReading runs read over in, once per iteration.
func benchmarkReading(b *testing.B, in []byte, read func(io.Reader) error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	rd := bytes.NewReader(in)
	for b.Loop() {
		rd.Reset(in)
		if err := read(rd); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkParse(b *testing.B, in []byte) {
	benchmarkReading(b, in, func(r io.Reader) error {
		_, err := Parse(r)
		return err
	})
}

// benchmarkBaseline reads the same bytes the way a program without this
// package would start: net/mail for the header, the body to io.Discard.
func benchmarkBaseline(b *testing.B, in []byte) {
	benchmarkReading(b, in, func(r io.Reader) error {
		m, err := mail.ReadMessage(r)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, m.Body)
		return err
	})
}

// benchmarkBaselineMIME walks the same bytes with the standard library's
// MIME reader, every part's body read to io.Discard: the work of finding
// the parts, without reading any field.
func benchmarkBaselineMIME(b *testing.B, in []byte) {
	benchmarkReading(b, in, func(r io.Reader) error {
		m, err := mail.ReadMessage(r)
		if err != nil {
			return err
		}
		_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if err != nil {
			return err
		}
		mr := multipart.NewReader(m.Body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				return err
			}
		}
	})
}

func BenchmarkParseHeaders5K(b *testing.B)        { benchmarkParse(b, benchHeadersDSN()) }
func BenchmarkBaselineHeaders5K(b *testing.B)     { benchmarkBaseline(b, benchHeadersDSN()) }
func BenchmarkBaselineMIMEHeaders5K(b *testing.B) { benchmarkBaselineMIME(b, benchHeadersDSN()) }
func BenchmarkParseFull1M(b *testing.B)           { benchmarkParse(b, benchFullDSN(1<<20)) }
func BenchmarkBaselineFull1M(b *testing.B)        { benchmarkBaseline(b, benchFullDSN(1<<20)) }
func BenchmarkBaselineMIMEFull1M(b *testing.B)    { benchmarkBaselineMIME(b, benchFullDSN(1<<20)) }

// BenchmarkParseFull8M shows that memory does not grow with the returned
// content: its B/op equals BenchmarkParseFull1M's.
func BenchmarkParseFull8M(b *testing.B) { benchmarkParse(b, benchFullDSN(8<<20)) }

func TestBenchInputs(t *testing.T) {
	// Keep the benchmark inputs what their names say.
	if n := len(benchHeadersDSN()); n < 4500 || n > 5500 {
		t.Errorf("headers DSN is %d bytes, want about 5 KB", n)
	}
	r := mustParse(t, string(benchHeadersDSN()))
	if r.Returned != ReturnHeaders || r.ReturnedHeader.Get("Subject") != "Quarterly report" {
		t.Errorf("headers DSN read as %q, %v", r.Returned, r.ReturnedHeader)
	}
}
