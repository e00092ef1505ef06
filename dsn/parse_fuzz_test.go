package dsn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary messages, seeded with our own reports and
// the real-world corpus when present: no input may panic or hang, and what
// Parse accepts must hold what RFC 3464 §2.3 requires of every recipient.
func FuzzParse(f *testing.F) {
	f.Add([]byte(report(basicStatus)))
	f.Add([]byte(report(basicStatus, "--b1", "Content-Type: message/rfc822", "", "Subject: x", "", "body")))
	f.Add([]byte(msg(`Content-Type: multipart/mixed; boundary=o`, "", "--o",
		`Content-Type: multipart/report; report-type=delivery-status; boundary=i`, "", "--i",
		"Content-Type: message/global-delivery-status", "Content-Transfer-Encoding: quoted-printable", "",
		`Final-Recipient: utf-8; a\x{E9}@b`, "Action: failed", "Status: 5.0.0", "--i--", "--o--")))
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Parse(bytes.NewReader(in))
		if err != nil {
			if r != nil {
				t.Fatalf("Parse returned a report with error %v", err)
			}
			return
		}
		if len(r.Recipients) == 0 {
			t.Fatal("accepted a report without recipients")
		}
		for i, rc := range r.Recipients {
			if rc.FinalRecipient.Addr == "" || rc.Action == "" || rc.Status.IsZero() {
				t.Fatalf("recipient %d lacks a required field: %+v", i, rc)
			}
		}
		switch r.Returned {
		case ReturnNone, ReturnHeaders, ReturnFull:
		default:
			t.Fatalf("Returned = %q", r.Returned)
		}
	})
}
