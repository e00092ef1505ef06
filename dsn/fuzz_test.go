package dsn

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"

	"github.com/stretchr/testify/require"
)

func FuzzDecodeXtext(f *testing.F) {
	for _, s := range []string{"", "bob@example.org", "a+2Bb", "+", "+2", "+zz", "a+0D+0A", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Encoding anything decodes back to it (RFC 3461 §4).
		back, err := DecodeXtext(EncodeXtext(s))
		if err != nil || back != s {
			t.Fatalf("EncodeXtext(%q) does not decode back: %q, %v", s, back, err)
		}
		dec, err := DecodeXtext(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidField) {
				t.Fatalf("error %v is no ErrInvalidField", err)
			}
			return
		}
		if again, err := DecodeXtext(EncodeXtext(dec)); err != nil || again != dec {
			t.Fatalf("%q: decode/encode/decode gives %q, %v", s, again, err)
		}
		// The 7-bit utf-8 form decodes back too, for valid UTF-8 without
		// controls (RFC 6533 §3).
		if back, err := DecodeUTF8Addr(EncodeUTF8Addr(dec)); err == nil && utf8.ValidString(dec) && back != dec {
			t.Fatalf("EncodeUTF8Addr(%q) decodes to %q", dec, back)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"5.1.1", "2.0.0", "4.999.999", "5.01.1", "5.1", "", "9.9.9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidField) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("bad error %q", err)
			}
			return
		}
		// RFC 3463 §2 has one spelling per code: it round-trips exactly.
		if st.String() != s || !st.valid() {
			t.Fatalf("ParseStatus(%q) = %v", s, st)
		}
	})
}

func FuzzStatusFromReply(f *testing.F) {
	f.Add("550 5.1.1 no such user", true)
	f.Add("452-4.2.2 full\r\n452 4.2.2 try later", false)
	f.Add("250", false)
	f.Add("", true)
	f.Fuzz(func(t *testing.T, reply string, permanent bool) {
		st, diag := StatusFromReply(reply, permanent)
		if !st.valid() {
			t.Fatalf("invalid status %v", st)
		}
		if strings.IndexFunc(diag, mailsyntax.IsControl) >= 0 {
			t.Fatalf("control character in %q", diag)
		}
		// RFC 3464 §2.3.6: the diagnostic is one Compose takes, in any
		// report when ASCII, else in an SMTPUTF8 one.
		r := failureReport()
		r.SMTPUTF8 = !mailsyntax.IsASCII(diag)
		r.Recipients[0].Status, r.Recipients[0].DiagnosticCode = statusForAction(st), diag
		if _, err := Compose(io.Discard, r, nil, ComposeOptions{}); err != nil {
			t.Fatalf("Compose refuses the diagnostic %q: %v", diag, err)
		}
		if code, _, ok := smtpsyntax.ReplyLine(strings.TrimSpace(reply)); ok && strings.ContainsRune("245", rune('0'+code/100)) && st.Class != code/100 {
			t.Fatalf("class %d for reply code %d", st.Class, code)
		}
	})
}

// statusForAction makes st fit a failed recipient (RFC 3464 §2.3.4).
func statusForAction(st Status) Status {
	if st.Class == 2 {
		st.Class = 5
	}
	return st
}

// FuzzCompose composes a report from arbitrary field values: either
// Compose refuses with ErrInvalidField, or the message reads back with
// exactly the structure and values intended.
func FuzzCompose(f *testing.F) {
	f.Add("alice@example.org", "mx.example", "QQ1", "bob@example.org", "rfc822;bob@example.org", "550 5.1.1 no", "X-A", "v", "Subject", "text", testOriginal, true, "", false)
	f.Add("<@a:b@c>", "mx", "", "用户@例子", "", strings.Repeat("word ", 50), "X-B", "é", "Sübject", "", "Subject: x\n\nbody", false, "", true)
	f.Add("a\r\nb", "m x", "id\n", "b\x00", "x", "d\r", "Bad Name", "v\n", "s\r\n", "\x00", "", true, "a\r\n\r\nX: y", false)
	f.Add("a@b, evil@x", "mx", "", `jörg\x{41}@x.de`, "utf-8;a\\x{41}", "550", "Final-Recipient", "rfc822; evil@x", "", "", "Subject: x\rFoo: y\r\rsecret\r", false, "eth0", true)
	// Values no fold brings within 998 octets, and Unicode line breaks
	// (RFC 5322 §2.1.1, RFC 6855 §3).
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550"+strings.Repeat(" ", 2000)+"x", "X-A", "v", "", "", "", false, "", false)
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550", "X-"+strings.Repeat("n", 1000), "v", "", "", "", false, "", false)
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550", "X-A", "v", "", "", "Message-ID: <"+strings.Repeat("m", 1000)+"@x>\r\n\r\n", false, "", false)
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550 a\u2028b", "X-A", "v", "", "", "", false, "", true)
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550", "X-A", "v\u2029w", "", "", "", false, "", true)
	f.Add("alice@example.org", "mx.example", "", "bob@example.org", "", "550", "X-A", "v", "", "", "Message-ID: <a\u2029b@x>\r\n\r\n", false, "", true)
	f.Fuzz(func(t *testing.T, to, host, envid, rcpt, orcpt, diag, extName, extValue, subject, text, original string, full bool, zone string, smtputf8 bool) {
		remote := MTA{Name: host, IP: netip.MustParseAddr("2001:db8::1")}
		if zone != "" {
			remote.IP = remote.IP.WithZone(zone)
		}
		r := &Report{
			To:                 to,
			Subject:            subject,
			Text:               text,
			ReportingMTA:       host,
			OriginalEnvelopeID: envid,
			Extensions:         []Field{{extName, extValue}},
			Recipients: []Recipient{{
				FinalRecipient: Address{Addr: rcpt},
				Action:         ActionFailed,
				RemoteMTA:      remote,
				DiagnosticCode: diag,
			}},
			SMTPUTF8: smtputf8,
		}
		if a, err := ParseORCPT(orcpt); err == nil {
			r.Recipients[0].OriginalRecipient = a
		}
		opts := ComposeOptions{Now: func() time.Time { return time.Unix(0, 0) }}
		if full {
			opts.Ret = RetFull
		}
		var buf bytes.Buffer
		env, err := Compose(&buf, r, strings.NewReader(original), opts)
		if err != nil {
			if !errors.Is(err, ErrInvalidField) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("bad error %q", err)
			}
			require.Zero(t, buf.Len())
			return
		}
		rb := readBackDSN(t, buf.Bytes())
		require.LessOrEqual(t, len(rb.parts[1].body)+len("\r\n"), statusBound(r), "statusBound")
		require.Equal(t, "<"+env.RcptTo+">", rb.header.Get("To"))
		require.Len(t, rb.groups, 2)
		// RFC 6533 §6: the global types exactly for SMTPUTF8.
		require.Equal(t, smtputf8, rb.parts[1].contentType == "message/global-delivery-status")
		fields := exactFields(rb.parts[1].body)
		want := []string{}
		if envid != "" {
			want = append(want, "Original-Envelope-Id: "+envid)
		}
		want = append(want, "Reporting-MTA: dns; "+host, extName+": "+extValue, "")
		if a := r.Recipients[0].OriginalRecipient; a.Addr != "" {
			want = append(want, "Original-Recipient: "+addressValue(a, rb))
		}
		want = append(want, "Final-Recipient: "+addressValue(Address{Addr: rcpt}, rb), "Action: failed", "Status: 5.0.0", "Remote-MTA: dns; "+host+" (2001:db8::1)")
		if diag != "" {
			want = append(want, "Diagnostic-Code: smtp; "+diag)
		}
		require.Equal(t, want, fields)
	})
}

// addressValue is how Compose writes a typed address.
func addressValue(a Address, rb *readBack) string {
	typ := a.Type
	if typ == "" {
		typ = "rfc822"
	}
	if isUTF8Type(a) {
		global := rb.parts[1].contentType == "message/global-delivery-status"
		return "utf-8; " + string(appendUTF8Addr(nil, a.Addr, global))
	}
	return typ + "; " + a.Addr
}

// exactFields unfolds a delivery-status body by removing only the CRLF of
// each fold (RFC 5322 §2.2.3) and returns its lines, "" between groups.
func exactFields(body []byte) []string {
	s := strings.TrimSuffix(string(body), "\r\n")
	s = strings.ReplaceAll(s, "\r\n ", " ")
	return strings.Split(s, "\r\n")
}
