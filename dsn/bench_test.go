package dsn

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
)

// benchOriginal returns a realistic original of about size bytes: a
// 2.5 KB header (Received chain, DKIM signature) and a text body.
func benchOriginal(size int) []byte {
	var b bytes.Buffer
	for i := range 6 {
		b.WriteString("Received: from relay" + strconv.Itoa(i) + ".example.net (relay" + strconv.Itoa(i) +
			".example.net [198.51.100." + strconv.Itoa(i) + "])\r\n\tby mx.hosted.example (Postfix) with ESMTPS id 4F2A1" +
			strconv.Itoa(i) + "\r\n\tfor <bob@hosted.example>; Fri, 27 Nov 2026 10:00:0" + strconv.Itoa(i) + " -0500 (EST)\r\n")
	}
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel;\r\n" +
		"\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n" +
		"\tb=" + strings.Repeat("dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ", 8) + "\r\n")
	b.WriteString("From: Alice <alice@example.org>\r\nTo: bob@hosted.example, carol@hosted.example\r\n" +
		"Subject: Quarterly figures\r\nDate: Fri, 27 Nov 2026 09:59:58 -0500\r\n" +
		"Message-ID: <q3-figures-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	line := "The figures for the third quarter are attached; please review them.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.Truncate(size)
	return b.Bytes()
}

func benchReport() *Report {
	r := failureReport()
	r.Recipients = append(r.Recipients, Recipient{
		FinalRecipient:  Address{Addr: "carol@hosted.example"},
		Action:          ActionFailed,
		Status:          Status{5, 2, 2},
		RemoteMTA:       r.Recipients[0].RemoteMTA,
		DiagnosticCode:  "552 5.2.2 <carol@hosted.example>: mailbox full",
		LastAttemptDate: r.Recipients[0].LastAttemptDate,
	})
	return r
}

// benchWrite runs write over orig into one buffer, the same for Compose
// and the baseline, so that they differ only in what write does.
func benchWrite(b *testing.B, orig []byte, write func(w io.Writer, src io.Reader) error) {
	var out bytes.Buffer
	out.Grow(len(orig) + 64<<10) // the sink's growth is not what is measured
	src := bytes.NewReader(orig)
	b.SetBytes(int64(len(orig)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		src.Reset(orig)
		if err := write(&out, src); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCompose(b *testing.B, orig []byte, opts ComposeOptions) {
	r := benchReport()
	benchWrite(b, orig, func(w io.Writer, src io.Reader) error {
		_, err := Compose(w, r, src, opts)
		return err
	})
}

// benchCopy is the baseline: the same bytes copied into a bytes.Buffer.
func benchCopy(b *testing.B, orig []byte) {
	benchWrite(b, orig, func(w io.Writer, src io.Reader) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// A headers-only DSN for two recipients of a 3 KB original, with the
// default random Message-ID and boundary.
func BenchmarkComposeHeadersOnly(b *testing.B) {
	benchCompose(b, benchOriginal(3<<10), ComposeOptions{Ret: RetHdrs})
}

func BenchmarkBaselineCopyHeadersOnly(b *testing.B) { benchCopy(b, benchOriginal(3<<10)) }

func BenchmarkComposeFull1MB(b *testing.B) {
	benchCompose(b, benchOriginal(1<<20), ComposeOptions{Ret: RetFull})
}

func BenchmarkBaselineCopy1MB(b *testing.B) { benchCopy(b, benchOriginal(1<<20)) }

func BenchmarkComposeFull10MB(b *testing.B) {
	benchCompose(b, benchOriginal(10<<20), ComposeOptions{Ret: RetFull})
}

func BenchmarkBaselineCopy10MB(b *testing.B) { benchCopy(b, benchOriginal(10<<20)) }

// BenchmarkComposeFullWithLimit returns 1 MB in full under a 2 MB limit,
// which holds the original in memory to measure it.
func BenchmarkComposeFullWithLimit1MB(b *testing.B) {
	benchCompose(b, benchOriginal(1<<20), ComposeOptions{Ret: RetFull, ReturnSizeLimit: 2 << 20})
}
