package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseFile reads a DSN fixture.
func parseFile(t *testing.T, name string) *dsn.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	r, err := dsn.Parse(f)
	require.NoError(t, err)
	return r
}

// originalOf reads what the event's Original holds.
func originalOf(t *testing.T, ev Event) string {
	t.Helper()
	require.NotNil(t, ev.Original)
	rc, err := ev.Original()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// TestEventFromPostfixReport rebuilds the event of a DSN in Postfix's own
// format: no Received-From-MTA, so the client comes from our topmost
// Received field; a local failure as "X-Postfix; text".
func TestEventFromPostfixReport(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	r := parseFile(t, "postfix-bounce.eml")
	ev, err := p.EventFromReport(r, "")
	require.NoError(t, err)
	assert.Equal(t, "alice@example.org", ev.ReturnPath, "the DSN's To, with no envelope recipient given")
	assert.Equal(t, netip.MustParseAddr("192.0.2.10"), ev.ClientIP)
	assert.Equal(t, "mail.example.org", ev.HELO)
	assert.True(t, receivedAt.Equal(ev.ReceivedAt), "Arrival-Date: %v", ev.ReceivedAt)
	assert.Equal(t, dsn.RetHdrs, ev.Ret)
	assert.Empty(t, ev.EnvID)
	assert.False(t, ev.SMTPUTF8)
	assert.Equal(t, []Delivery{{
		Address:    "bob@hosted.example",
		ORCPT:      dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"},
		Action:     dsn.ActionFailed,
		Status:     dsn.Status{Class: 5, Subject: 1, Detail: 1},
		Diagnostic: `x-postfix; unknown user: "bob"`,
	}}, ev.Recipients)
	orig := originalOf(t, ev)
	assert.True(t, strings.HasPrefix(orig, "Return-Path: <alice@example.org>\r\nReceived: from mail.example.org (mail.example.org [192.0.2.10]) by mx.hosted.example (Postfix) with ESMTPS id 4QxYz1XyZ0z1P for <bob@hosted.example>; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)\r\nReceived: from [10.0.0.5]"), orig)
	assert.True(t, strings.HasSuffix(orig, "Message-ID: <lunch-1@example.org>\r\nDate: Fri, 27 Nov 2026 09:59:58 +0000\r\n\r\n"), orig)

	ev, err = p.EventFromReport(r, "<alice@example.org>")
	require.NoError(t, err)
	assert.Equal(t, "<alice@example.org>", ev.ReturnPath, "the envelope recipient wins")
}

// TestEventFromEximReport: Exim's remote failure becomes a Reply and a
// RemoteMTA; the HELO is Exim's helo=; a full return gives RET=FULL.
func TestEventFromEximReport(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	ev, err := p.EventFromReport(parseFile(t, "exim-bounce.eml"), "alice@example.org")
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("192.0.2.10"), ev.ClientIP)
	assert.Equal(t, "mail.example.org", ev.HELO)
	assert.True(t, receivedAt.Equal(ev.ReceivedAt), "the date of our Received field: %v", ev.ReceivedAt)
	assert.Equal(t, dsn.RetFull, ev.Ret)
	assert.Equal(t, []Delivery{{
		Address:   "carol@hosted.example",
		Action:    dsn.ActionFailed,
		Status:    dsn.Status{Class: 5},
		Reply:     "550 5.1.1 <carol@hosted.example>: Recipient address rejected: User unknown",
		RemoteMTA: "mailstore.hosted.example",
	}}, ev.Recipients)
	assert.Contains(t, originalOf(t, ev), "Message-ID: <lunch-2@example.org>\r\n")
}

// statusOnly is a minimal report whose returned header is given.
func statusOnly(header dsn.Header) *dsn.Report {
	return &dsn.Report{
		To:             "alice@example.org",
		ReportingMTA:   "mx.hosted.example",
		Returned:       dsn.ReturnHeaders,
		ReturnedHeader: header,
		Recipients: []dsn.Recipient{{
			FinalRecipient: dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"},
			Action:         dsn.ActionFailed,
			Status:         dsn.Status{Class: 5, Subject: 1, Detail: 1},
		}},
	}
}

const ourPostfixReceived = "from mail.example.org (mail.example.org [192.0.2.10]) by mx.hosted.example (Postfix) with ESMTP id 1; Fri, 27 Nov 2026 10:00:00 +0000"

// TestEventFromReportClient: where the client's address and HELO come
// from, and when they stay unknown (RFC 3464 §2.2.4, RFC 5321 §4.4).
func TestEventFromReportClient(t *testing.T) {
	received := func(v string) dsn.Header {
		return dsn.Header{{Name: "Received", Value: v}, {Name: "Subject", Value: "x"}}
	}
	for _, tt := range []struct {
		name     string
		reporter string // our ReportingMTA
		mta      dsn.MTA
		header   dsn.Header
		ip, helo string
		at       bool // ReceivedAt from the Received field
	}{
		{"our Received field", "mx.hosted.example", dsn.MTA{}, received(ourPostfixReceived), "192.0.2.10", "mail.example.org", true},
		{"our name in any case", "MX.Hosted.Example", dsn.MTA{}, received(ourPostfixReceived), "192.0.2.10", "mail.example.org", true},
		{"Received-From-MTA first", "mx.hosted.example", dsn.MTA{Name: "relay.example.org", IP: netip.MustParseAddr("198.51.100.7")}, received(ourPostfixReceived), "198.51.100.7", "relay.example.org", true},
		{"Received-From-MTA without an IP", "mx.hosted.example", dsn.MTA{Name: "relay.example.org"}, received(ourPostfixReceived), "192.0.2.10", "relay.example.org", true},
		{"another host's Received field", "mx.other.example", dsn.MTA{}, received(ourPostfixReceived), "", "", false},
		{"ours, but not the first", "mx.hosted.example", dsn.MTA{}, dsn.Header{{Name: "Received", Value: "from x (x [203.0.113.1]) by evil.example; Fri, 27 Nov 2026 10:00:00 +0000"}, {Name: "Received", Value: ourPostfixReceived}}, "", "", false},
		{"ours, read in two ways", "mx.hosted.example", dsn.MTA{}, received("from x (y [6.6.6.6]) by mx.hosted.example (real.example [192.0.2.10]) by mx.hosted.example; Fri, 27 Nov 2026 10:00:00 +0000"), "", "", true},
		{"a HELO that is no domain", "mx.hosted.example", dsn.MTA{}, received("from a_b! (a.example [192.0.2.10]) by mx.hosted.example; Fri, 27 Nov 2026 10:00:00 +0000"), "192.0.2.10", "", true},
		{"no returned header", "mx.hosted.example", dsn.MTA{}, nil, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{ReportingMTA: tt.reporter}
			r := statusOnly(tt.header)
			r.ReceivedFromMTA = tt.mta
			ev, err := p.EventFromReport(r, "")
			require.NoError(t, err)
			if tt.ip == "" {
				assert.False(t, ev.ClientIP.IsValid(), "%v", ev.ClientIP)
			} else {
				assert.Equal(t, netip.MustParseAddr(tt.ip), ev.ClientIP)
			}
			assert.Equal(t, tt.helo, ev.HELO)
			assert.Equal(t, tt.at, receivedAt.Equal(ev.ReceivedAt), "%v", ev.ReceivedAt)
			assert.Equal(t, tt.header == nil, ev.Original == nil)
		})
	}
}

// TestEventFromReportDiagnostics: Diagnostic-Code of type smtp with a
// reply code is the reply; anything else a diagnostic (RFC 3464 §2.3.6).
func TestEventFromReportDiagnostics(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	for _, tt := range []struct {
		typ, code         string
		reply, diagnostic string
	}{
		{"smtp", "550 5.1.1 no such user", "550 5.1.1 no such user", ""},
		{"", "450 try later", "450 try later", ""},
		{"smtp", "550-first line 550 second line", "550-first line 550 second line", ""},
		{"smtp", "connection refused", "", "smtp; connection refused"},
		{"smtp", "354 go ahead", "", "smtp; 354 go ahead"},
		{"x-postfix", `unknown user: "bob"`, "", `x-postfix; unknown user: "bob"`},
		{"x-local", "over\tquota", "", "x-local; over quota"},
		{"smtp", "", "", ""},
	} {
		r := statusOnly(nil)
		r.Recipients[0].DiagnosticType, r.Recipients[0].DiagnosticCode = tt.typ, tt.code
		ev, err := p.EventFromReport(r, "")
		require.NoError(t, err, "%s; %s", tt.typ, tt.code)
		assert.Equal(t, tt.reply, ev.Recipients[0].Reply, "%s; %s", tt.typ, tt.code)
		assert.Equal(t, tt.diagnostic, ev.Recipients[0].Diagnostic, "%s; %s", tt.typ, tt.code)
	}
}

// TestEventFromReportFields: the per-recipient fields that are kept, and
// those dropped by rule (RFC 3464 §2.3.5, §2.3.9).
func TestEventFromReportFields(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	r := statusOnly(nil)
	r.OriginalEnvelopeID = "QQ 314159"
	r.SMTPUTF8 = true
	r.Returned = dsn.ReturnNone
	last, until := receivedAt.Add(time.Hour), receivedAt.Add(72*time.Hour)
	r.Recipients = []dsn.Recipient{
		{FinalRecipient: dsn.Address{Type: "utf-8", Addr: "jörg@hosted.example"}, OriginalRecipient: dsn.Address{Type: "utf-8", Addr: "jörg@hosted.example"},
			Action: dsn.ActionDelayed, Status: dsn.Status{Class: 4, Subject: 4, Detail: 1}, LastAttemptDate: last, WillRetryUntil: until,
			RemoteMTA: dsn.MTA{Name: "mailstore.hosted.example", IP: netip.MustParseAddr("198.51.100.25")}},
		{FinalRecipient: dsn.Address{Addr: "carol@hosted.example"}, Action: dsn.ActionFailed, Status: dsn.Status{Class: 5},
			WillRetryUntil: until, RemoteMTA: dsn.MTA{IP: netip.MustParseAddr("198.51.100.25")}},
	}
	ev, err := p.EventFromReport(r, "")
	require.NoError(t, err)
	assert.Equal(t, "QQ 314159", ev.EnvID)
	assert.True(t, ev.SMTPUTF8)
	assert.Empty(t, ev.Ret)
	assert.Nil(t, ev.Original)
	assert.Equal(t, []Delivery{
		{Address: "jörg@hosted.example", ORCPT: dsn.Address{Type: "utf-8", Addr: "jörg@hosted.example"}, Action: dsn.ActionDelayed,
			Status: dsn.Status{Class: 4, Subject: 4, Detail: 1}, RemoteMTA: "mailstore.hosted.example", LastAttempt: last, WillRetryUntil: until},
		{Address: "carol@hosted.example", Action: dsn.ActionFailed, Status: dsn.Status{Class: 5}},
	}, ev.Recipients)
}

// TestEventFromReportErrors: what cannot make a valid event is a
// *dsn.FieldError wrapping ErrInvalidEvent, naming the field.
func TestEventFromReportErrors(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	for _, tt := range []struct {
		name   string
		change func(r *dsn.Report)
		rp     string
		field  string
	}{
		{"no return path", func(r *dsn.Report) { r.To = "" }, "", "return_path"},
		{"a bad return path", func(r *dsn.Report) {}, "not an address", "return_path"},
		{"an X.400 recipient", func(r *dsn.Report) { r.Recipients[0].FinalRecipient.Type = "x400" }, "", "recipients[0].address"},
		{"a bad recipient", func(r *dsn.Report) { r.Recipients[0].FinalRecipient.Addr = "bob" }, "", "recipients[0].address"},
		{"a status against the action", func(r *dsn.Report) { r.Recipients[0].Action = dsn.ActionDelayed }, "", "recipients[0].status"},
		{"no recipients", func(r *dsn.Report) { r.Recipients = nil }, "", "recipients"},
		{"an ENVID with a space at its end", func(r *dsn.Report) { r.OriginalEnvelopeID = "QQ " }, "", "envid"},
		{"a diagnostic type of odd characters", func(r *dsn.Report) {
			r.Recipients[0].DiagnosticType, r.Recipients[0].DiagnosticCode = "x_local", "full"
		}, "", "recipients[0].diagnostic"},
		{"a header field that would break the original", func(r *dsn.Report) {
			r.ReturnedHeader = dsn.Header{{Name: "X", Value: "a\r\nBcc: evil@example.org"}}
		}, "", "original"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := statusOnly(dsn.Header{{Name: "Subject", Value: "x"}})
			tt.change(r)
			_, err := p.EventFromReport(r, tt.rp)
			var fe *dsn.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.ErrorIs(t, err, ErrInvalidEvent)
			assert.Equal(t, tt.field, fe.Field, "%v", err)
		})
	}
	_, err := p.EventFromReport(nil, "alice@example.org")
	assert.ErrorIs(t, err, ErrInvalidEvent)
}

// TestDecideOnPostfixReport: the event of a DSN Postfix composed decides
// like the failure itself: the genuine sender's DSN goes out, the forged
// one's is dropped (rule 8, RFC 7208 on the client of our Received field).
func TestDecideOnPostfixReport(t *testing.T) {
	zone, err := spftest.NewZone(strings.NewReader(`example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"`), ".")
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join("testdata", "postfix-bounce.eml"))
	require.NoError(t, err)
	for _, tt := range []struct {
		name   string
		client string
		action Outcome
		reason Reason
	}{
		{"genuine", "192.0.2.10", Bounce, ReasonSPFPass},
		{"forged", "203.0.113.66", Drop, ReasonSPFFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := bytes.Replace(raw, []byte("[192.0.2.10])\n\tby mx.hosted.example"), []byte("["+tt.client+"])\n\tby mx.hosted.example"), 1)
			r, err := dsn.Parse(bytes.NewReader(msg))
			require.NoError(t, err)
			p := &Policy{ReportingMTA: "mx.hosted.example", Resolver: zone, Now: func() time.Time { return testNow }}
			ev, err := p.EventFromReport(r, "alice@example.org")
			require.NoError(t, err)
			require.Equal(t, netip.MustParseAddr(tt.client), ev.ClientIP)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.action, d.Action, "%s", d)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, SourceEvaluated, d.SPFSource)
			assert.Equal(t, spf.Result(strings.TrimPrefix(string(tt.reason), "spf-")), d.SPF.Result)
		})
	}
}

// corpusDir holds real-world bounces beside the project.
const corpusDir = "../../shared/testdata/dsn-corpus"

// TestEventFromReportCorpus: every real-world DSN converts to an event
// that passes Validate, or gives a FieldError wrapping ErrInvalidEvent;
// never a panic.
func TestEventFromReportCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skipf("no corpus at %s (it lives beside the project in ../shared; skipping the real-world corpus test)", corpusDir)
	}
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	var reports, events int
	for _, path := range files {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		r, err := dsn.Parse(bytes.NewReader(raw))
		if err != nil {
			continue // not a DSN, or a malformed one: dsn's corpus test covers those
		}
		reports++
		ev, err := p.EventFromReport(r, "")
		if err != nil {
			var fe *dsn.FieldError
			require.True(t, errors.As(err, &fe), "%s: %v", filepath.Base(path), err)
			require.ErrorIs(t, err, ErrInvalidEvent, filepath.Base(path))
			t.Logf("%s: %v", filepath.Base(path), err)
			continue
		}
		events++
		require.NoError(t, ev.Validate(), filepath.Base(path))
		require.Len(t, ev.Recipients, len(r.Recipients), filepath.Base(path))
	}
	t.Logf("corpus: %d DSNs, %d converted to valid events, %d refused with a field error", reports, events, reports-events)
	assert.Greater(t, events, reports/2, "most real-world DSNs should convert")
}

// Our own user's mail, received with SMTP AUTH (RFC 3848 §2: "with
// ESMTPSA" in our topmost Received field), is an authenticated sender's
// (rule 6): its DSN bounces, whatever SPF says of the user's roaming
// address. Before, SPF was evaluated with that address, failed, and our
// own users' DSNs were dropped. The protocol counts only in our own
// topmost field, read strictly: a client cannot write it there.
func TestEventFromReportAuthenticated(t *testing.T) {
	const ours = "from laptop.example.org (home.isp.example [198.51.100.7]) by mx.hosted.example (Postfix) with %s id 4QxYz1 for <bob@remote.example>; Mon, 05 Feb 2024 10:00:00 +0000"
	tests := []struct {
		name, received string
		want           bool
	}{
		{"ESMTPSA", fmt.Sprintf(ours, "ESMTPSA"), true},
		{"esmtpa", fmt.Sprintf(ours, "esmtpa"), true},
		{"UTF8SMTPSA", fmt.Sprintf(ours, "UTF8SMTPSA"), true},
		{"ESMTPS", fmt.Sprintf(ours, "ESMTPS"), false},
		{"not ours", strings.Replace(fmt.Sprintf(ours, "ESMTPSA"), "mx.hosted.example", "mx.elsewhere.example", 1), false},
		{"with twice", strings.Replace(fmt.Sprintf(ours, "ESMTPSA"), " id ", " with ESMTP id ", 1), false},
		{"in a comment", fmt.Sprintf(ours, "ESMTP (with ESMTPSA)"), false},
		{"in the HELO", "from x with ESMTPSA (home.isp.example [198.51.100.7]) by mx.hosted.example (Postfix) with ESMTP id 4QxYz1; Mon, 05 Feb 2024 10:00:00 +0000", false},
	}
	zone, err := spftest.NewZone(strings.NewReader("hosted.example. TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"), ".")
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{ReportingMTA: "mx.hosted.example", AuthservID: "mx.hosted.example", Resolver: zone}
			r := &dsn.Report{
				ReportingMTA:   "mx.hosted.example",
				Recipients:     []dsn.Recipient{{FinalRecipient: dsn.Address{Type: "rfc822", Addr: "bob@remote.example"}, Action: dsn.ActionFailed, Status: dsn.Status{Class: 5, Subject: 1, Detail: 1}}},
				ReturnedHeader: dsn.Header{{Name: "Received", Value: tt.received}, {Name: "From", Value: "<alice@hosted.example>"}},
			}
			ev, err := p.EventFromReport(r, "alice@hosted.example")
			require.NoError(t, err)
			assert.Equal(t, tt.want, ev.Authenticated)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			if tt.want {
				assert.Equal(t, Bounce, d.Action, d.String())
				assert.Equal(t, ReasonTrustedSender, d.Reason)
			} else {
				assert.Equal(t, Drop, d.Action, d.String())
			}
		})
	}
}

// A success report (delivered, relayed, expanded) is one the MTA wrote
// because the sender asked NOTIFY=SUCCESS (RFC 3461 §4.1): the event must
// not read as if NOTIFY were absent, which suppresses success and dropped
// every genuine success DSN by rule 3. It is decided as any other: SPF
// still gates a forged sender's.
func TestEventFromReportSuccess(t *testing.T) {
	zone, err := spftest.NewZone(strings.NewReader("genuine.example. TXT \"v=spf1 ip4:198.51.100.7 -all\"\nforged.example. TXT \"v=spf1 -all\"\n"), ".")
	require.NoError(t, err)
	for _, action := range []dsn.Action{dsn.ActionDelivered, dsn.ActionRelayed, dsn.ActionExpanded} {
		for _, tt := range []struct {
			sender string
			want   Outcome
			reason Reason
		}{
			{"alice@genuine.example", Bounce, ReasonSPFPass},
			{"mallory@forged.example", Drop, ReasonSPFFail},
		} {
			t.Run(string(action)+" "+tt.sender, func(t *testing.T) {
				p := &Policy{ReportingMTA: "mx.hosted.example", AuthservID: "mx.hosted.example", Resolver: zone}
				r := &dsn.Report{
					ReportingMTA: "mx.hosted.example",
					Recipients:   []dsn.Recipient{{FinalRecipient: dsn.Address{Type: "rfc822", Addr: "bob@hosted.example"}, Action: action, Status: dsn.Status{Class: 2}}},
					ReturnedHeader: dsn.Header{
						{Name: "Received", Value: "from mail.genuine.example (mail.genuine.example [198.51.100.7]) by mx.hosted.example (Postfix) with ESMTP id 4QxYz1 for <bob@hosted.example>; Mon, 05 Feb 2024 10:00:00 +0000"},
						{Name: "From", Value: "<" + tt.sender + ">"},
					},
				}
				ev, err := p.EventFromReport(r, tt.sender)
				require.NoError(t, err)
				d, err := p.Decide(context.Background(), ev)
				require.NoError(t, err)
				assert.Equal(t, tt.want, d.Action, d.String())
				assert.Equal(t, tt.reason, d.Reason, d.String())
			})
		}
	}
}
