package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestValidateRefusesWhatComposeWould: an event Validate passes always
// gets its decision; whatever dsn.Compose would refuse, Validate refuses
// first, naming the field as the event JSON does.
func TestValidateRefusesWhatComposeWould(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*Event)
		field string
	}{
		{"diagnostic with U+2028", func(e *Event) {
			e.SMTPUTF8 = true
			e.Recipients[0].Reply, e.Recipients[0].Diagnostic = "", "x-local; unknown\u2028user"
		}, "recipients[0].diagnostic"},
		{"diagnostic with NEL", func(e *Event) {
			e.SMTPUTF8 = true
			e.Recipients[0].Reply, e.Recipients[0].Diagnostic = "", "x-local; unknown\u0085user"
		}, "recipients[0].diagnostic"},
		{"diagnostic of invalid UTF-8", func(e *Event) {
			e.SMTPUTF8 = true
			e.Recipients[0].Reply, e.Recipients[0].Diagnostic = "", "x-local; unknown\xffuser"
		}, "recipients[0].diagnostic"},
		{"diagnostic with a word too long to fold", func(e *Event) {
			e.Recipients[0].Reply, e.Recipients[0].Diagnostic = "", "x-local; "+strings.Repeat("x", 1200)
		}, "recipients[0].diagnostic"},
		{"ORCPT type no atom", func(e *Event) { e.Recipients[0].ORCPT = dsn.Address{Type: "rfc822 x", Addr: "a@hosted.example"} }, "recipients[0].orcpt"},
		{"ORCPT with U+2028", func(e *Event) { e.Recipients[0].ORCPT = dsn.Address{Type: "rfc822", Addr: "a\u2028b@hosted.example"} }, "recipients[0].orcpt"},
		{"ORCPT with a trailing space", func(e *Event) { e.Recipients[0].ORCPT = dsn.Address{Type: "rfc822", Addr: "bob@hosted.example "} }, "recipients[0].orcpt"},
		{"ORCPT blank", func(e *Event) { e.Recipients[0].ORCPT = dsn.Address{Type: "rfc822", Addr: " "} }, "recipients[0].orcpt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			tt.edit(&ev)
			err := ev.Validate()
			require.ErrorIs(t, err, ErrInvalidEvent)
			var fe *dsn.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
}

// TestORCPTFromTheWire: an ORCPT parameter that dsn.ParseORCPT takes
// gives an event that gets its decision; one with white space at its
// ends, which Original-Recipient cannot carry, is refused at parsing.
func TestORCPTFromTheWire(t *testing.T) {
	for _, param := range []string{"rfc822;bob@hosted.example+20", "rfc822;+20bob@hosted.example", "rfc822;+20"} {
		_, err := dsn.ParseORCPT(param)
		assert.ErrorIs(t, err, dsn.ErrInvalidField, param)
	}
	orcpt, err := dsn.ParseORCPT("rfc822;bob+2Bx@hosted.example")
	require.NoError(t, err)
	ev := testEvent()
	ev.Recipients[0].ORCPT = orcpt
	d, err := testPolicy(&fakeChecker{result: spf.Pass}).Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, Bounce, d.Action)
}

// TestHugeRemoteReply: a remote MTA's reply of megabytes gives a DSN, and
// a notice, that dsn.Parse reads back, with the reply cut short.
func TestHugeRemoteReply(t *testing.T) {
	ev := testEvent()
	ev.Recipients[0].RemoteMTA = "mx.elsewhere.example"
	ev.Recipients[0].Reply = strings.Repeat("550-5.1.1 "+strings.Repeat("x ", 240)+"\r\n", 4000) + "550 5.1.1 no such user"
	for _, result := range []spf.Result{spf.Pass, spf.None} {
		p := testPolicy(&fakeChecker{result: result})
		p.Postmaster = "postmaster@hosted.example"
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err)
		m := d.DSN
		if m == nil {
			m = d.Notice
		}
		require.NotNil(t, m, "%s", d)
		r, err := dsn.Parse(bytes.NewReader(m.Data))
		require.NoError(t, err)
		assert.LessOrEqual(t, len(r.Recipients[0].DiagnosticCode), maxDiagnosticLen)
	}
}

// TestNoticeForManyRecipients: a drop of a message to a thousand
// recipients, each with a long reply, still carries its notice, which
// dsn.Parse reads back.
func TestNoticeForManyRecipients(t *testing.T) {
	ev := testEvent()
	base := ev.Recipients[0]
	ev.Recipients = nil
	for i := range 1000 {
		rc := base
		rc.Address = "user" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "@hosted.example"
		rc.Reply = "550-5.1.1 " + strings.Repeat("mailbox unavailable ", 20) + "\r\n550 5.1.1 no such user"
		ev.Recipients = append(ev.Recipients, rc)
	}
	p := testPolicy(&fakeChecker{result: spf.None})
	p.Postmaster = "postmaster@hosted.example"
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.Notice, "%s", d)
	r, err := dsn.Parse(bytes.NewReader(d.Notice.Data))
	require.NoError(t, err)
	assert.Len(t, r.Recipients, 1000)
	assert.Contains(t, r.Text, "more recipients are not listed here")
}

// TestManyLongRepliesStillDecided: three hundred recipients whose remote
// MTA answered with long replies pass Validate and get their decision,
// bounce or drop with a notice: the diagnostics share one budget, so the
// DSN stays within what dsn.Parse reads. Past maxRecipients, Validate
// refuses, naming the field.
func TestManyLongRepliesStillDecided(t *testing.T) {
	ev := testEvent()
	base := ev.Recipients[0]
	ev.Recipients = nil
	for i := range 300 {
		rc := base
		rc.Address = strings.Repeat("u", 1+i/26) + string(rune('a'+i%26)) + "@hosted.example"
		rc.Reply = "550 5.1.1 " + strings.Repeat("mailbox unavailable ", 450)
		ev.Recipients = append(ev.Recipients, rc)
	}
	require.NoError(t, ev.Validate())
	for _, res := range []spf.Result{spf.Pass, spf.None} {
		p := testPolicy(&fakeChecker{result: res})
		p.Postmaster = "postmaster@hosted.example"
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err, "SPF %s", res)
		m := d.DSN
		if m == nil {
			m = d.Notice
		}
		require.NotNil(t, m)
		_, err = dsn.Parse(bytes.NewReader(m.Data))
		require.NoError(t, err)
	}
	for len(ev.Recipients) <= maxRecipients {
		ev.Recipients = append(ev.Recipients, ev.Recipients[:min(300, maxRecipients+1-len(ev.Recipients))]...)
	}
	var fe *dsn.FieldError
	require.ErrorAs(t, ev.Validate(), &fe)
	assert.Equal(t, "recipients", fe.Field)
}

// TestFoldedAutoSubmittedIsALoop: an Auto-Submitted padded with folding
// past the field limit still marks the original automatic, as dsn.Parse
// reads it from the returned header (RFC 3834 §2).
func TestFoldedAutoSubmittedIsALoop(t *testing.T) {
	ev := testEvent()
	ev.SPF = spf.Pass
	ev.Original = OriginalBytes([]byte("Subject: out of office\r\nAuto-Submitted: auto-replied" +
		strings.Repeat("\r\n ", 3000) + "\r\n\r\nI am away.\r\n"))
	d, err := testPolicy(nil).Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, ReasonLoop, d.Reason, "%s", d)
}
