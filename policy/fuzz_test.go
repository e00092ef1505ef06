package policy

import (
	"bytes"
	"context"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// FuzzDecide feeds Decide hostile events: whatever the input, it must not
// panic, and a DSN or notice it composes must parse back as a report on
// exactly the recipients it names (no injected header or field).
func FuzzDecide(f *testing.F) {
	f.Add("alice@example.org", "mail.example.org", "550 5.1.1 no such user", "mx.remote.example", "Subject: hi\r\n\r\nbody", uint8(0), "pass", "")
	f.Add("<@relay:alice@example.org>", "[192.0.2.1]", "550-5.1.1 a\r\n550 5.1.1 b", "", "Auto-Submitted: no\r\n\r\n", uint8(4), "temperror", "FULL")
	f.Add("", "h", "", "", "Content-Type: multipart/report\r\n", uint8(1), "", "HDRS")
	f.Add("a@b\r\nBcc: c@d", "x\ny", "550 x\x00y", "m\r\n", "\x00\r\n\r\n", uint8(255), "fail", "")
	f.Fuzz(func(t *testing.T, returnPath, helo, reply, remoteMTA, original string, notify uint8, result, ret string) {
		p := testPolicy(&fakeChecker{result: spf.Pass})
		p.Postmaster = "postmaster@hosted.example"
		ev := testEvent()
		ev.ReturnPath, ev.HELO, ev.SPF, ev.Ret = returnPath, helo, spf.Result(result), dsn.Ret(ret)
		ev.Original = OriginalBytes([]byte(original))
		rc := &ev.Recipients[0]
		rc.Reply, rc.RemoteMTA, rc.Notify, rc.Status = reply, remoteMTA, dsn.Notify(notify&0x0f), dsn.Status{}
		d, err := p.Decide(context.Background(), ev)
		if err != nil {
			return
		}
		for _, m := range []*Message{d.DSN, d.Notice} {
			if m == nil {
				continue
			}
			if m.MailFrom != "" {
				t.Fatalf("MAIL FROM <%s>, want <>", m.MailFrom)
			}
			r, err := dsn.Parse(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatalf("composed message does not parse: %v\n%s", err, m.Data)
			}
			if len(r.Recipients) != 1 || r.Recipients[0].FinalRecipient.Addr != rc.Address {
				t.Fatalf("recipients %+v, want %s only", r.Recipients, rc.Address)
			}
		}
		mailbox, _ := smtpsyntax.ReversePath(returnPath)
		if d.DSN != nil && d.DSN.RcptTo != mailbox {
			t.Fatalf("DSN to <%s>, want the return path <%s>", d.DSN.RcptTo, mailbox)
		}
		if mailbox == "" && d.DSN != nil {
			t.Fatal("a DSN to the null return path")
		}
	})
}
