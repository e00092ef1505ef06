package main

import (
	"strings"
	"testing"
	"time"

	"github.com/d--j/go-milter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// subject is the header of most test messages.
var subject = []field{{"Subject", " hello"}}

// TestVerdictsRecorded: each result is recorded in both fields, on top of
// the header, Authentication-Results first, and reads back as written.
func TestVerdictsRecorded(t *testing.T) {
	addr, log := startMilter(t, testConfig(nil), newTestZone(t))
	tests := []struct {
		name, ip, from, helo string
		want                 spf.Result
		rs, ar               string
	}{
		{name: "pass", ip: "192.0.2.1", from: "alice@pass.example", want: spf.Pass,
			rs: `pass (mx.hosted.example: domain of alice@pass.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from="alice@pass.example"; helo=mail.helo.example; receiver=mx.hosted.example; identity=mailfrom; mechanism="ip4:192.0.2.0/24"`,
			ar: "mx.hosted.example; spf=pass smtp.mailfrom=pass.example"},
		{name: "pass over IPv6", ip: "2001:db8::1", from: "alice@pass.example", want: spf.Pass,
			rs: `pass (mx.hosted.example: domain of alice@pass.example designates 2001:db8::1 as permitted sender) client-ip="2001:db8::1"; envelope-from="alice@pass.example"; helo=mail.helo.example; receiver=mx.hosted.example; identity=mailfrom; mechanism="ip6:2001:db8::/32"`,
			ar: "mx.hosted.example; spf=pass smtp.mailfrom=pass.example"},
		{name: "IPv4-mapped IPv6 is IPv4", ip: "::ffff:192.0.2.1", from: "alice@pass.example", want: spf.Pass,
			rs: "pass (mx.hosted.example: domain of alice@pass.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; ",
			ar: "mx.hosted.example; spf=pass smtp.mailfrom=pass.example"},
		{name: "fail", ip: "198.51.100.7", from: "mallory@fail.example", want: spf.Fail,
			rs: `fail (mx.hosted.example: domain of mallory@fail.example does not designate 198.51.100.7 as permitted sender) client-ip=198.51.100.7; envelope-from="mallory@fail.example"; helo=mail.helo.example; receiver=mx.hosted.example; identity=mailfrom; mechanism=-all`,
			ar: "mx.hosted.example; spf=fail smtp.mailfrom=fail.example"},
		{name: "softfail", ip: "198.51.100.7", from: "x@softfail.example", want: spf.SoftFail,
			rs: "softfail (mx.hosted.example: transitioning domain of x@softfail.example does not designate 198.51.100.7 as permitted sender) ",
			ar: "mx.hosted.example; spf=softfail smtp.mailfrom=softfail.example"},
		{name: "neutral", ip: "198.51.100.7", from: "x@neutral.example", want: spf.Neutral,
			rs: "neutral (mx.hosted.example: 198.51.100.7 is neither permitted nor denied by domain of x@neutral.example) ",
			ar: "mx.hosted.example; spf=neutral smtp.mailfrom=neutral.example"},
		{name: "none", ip: "198.51.100.7", from: "x@none.example", want: spf.None,
			rs: `none (mx.hosted.example: domain of x@none.example does not publish an SPF policy) client-ip=198.51.100.7; envelope-from="x@none.example"; helo=mail.helo.example; receiver=mx.hosted.example; identity=mailfrom`,
			ar: "mx.hosted.example; spf=none smtp.mailfrom=none.example"},
		{name: "temperror", ip: "192.0.2.1", from: "x@temp.example", want: spf.TempError,
			rs: "temperror (mx.hosted.example: temporary error checking the policy of domain of x@temp.example) ",
			ar: "mx.hosted.example; spf=temperror smtp.mailfrom=temp.example"},
		{name: "null sender: HELO identity", ip: "192.0.2.1", from: "", want: spf.Pass,
			rs: "pass (mx.hosted.example: domain of mail.helo.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; helo=mail.helo.example; receiver=mx.hosted.example; identity=helo; mechanism=\"ip4:192.0.2.1\"",
			ar: "mx.hosted.example; spf=pass smtp.helo=mail.helo.example"},
		{name: "null sender: HELO fails", ip: "198.51.100.7", from: "", want: spf.Fail,
			rs: "fail (mx.hosted.example: domain of mail.helo.example does not designate 198.51.100.7 as permitted sender) ",
			ar: "mx.hosted.example; spf=fail smtp.helo=mail.helo.example"},
		{name: "null sender: HELO an address literal", ip: "192.0.2.1", from: "", helo: "[192.0.2.1]", want: spf.None,
			rs: "none (mx.hosted.example: domain of [192.0.2.1] does not publish an SPF policy) ",
			ar: `mx.hosted.example; spf=none smtp.helo="[192.0.2.1]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			family := milter.FamilyInet
			if strings.Contains(tt.ip, ":") {
				family = milter.FamilyInet6
			}
			o := send(t, addr, message{family: family, addr: tt.ip, helo: tt.helo, from: tt.from, header: subject})
			assert.Equal(t, milter.ActionContinue, o.mail.Type)
			require.Equal(t, milter.ActionAccept, o.end.Type)
			require.Len(t, o.header, 3)
			assert.Equal(t, field{"Authentication-Results", tt.ar}, o.header[0])
			assert.Equal(t, "Received-SPF", o.header[1].name)
			assert.True(t, strings.HasPrefix(o.header[1].value, tt.rs), "got  %s\nwant %s", o.header[1].value, tt.rs)
			assert.Equal(t, subject[0], o.header[2])

			v, receiver, err := spf.ParseReceivedSPF(o.header[1].value)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v.Result)
			assert.Equal(t, ourID, receiver)
			v, err = spf.ParseAuthenticationResults(o.header[0].value, ourID)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v.Result)
		})
	}
	assert.Contains(t, log.String(), `queue_id=4XyZ1 action=record result=temperror`)
}

// TestNoClientIP: without the client's IP address nothing is evaluated;
// none is recorded, and both fields say why.
func TestNoClientIP(t *testing.T) {
	addr, _ := startMilter(t, testConfig(nil), newTestZone(t))
	tests := []struct {
		name   string
		family milter.ProtoFamily
		addr   string
		why    string
	}{
		{"unix socket", milter.FamilyUnix, "/var/run/smtp.sock", localSocket},
		{"unknown", milter.FamilyUnknown, "", unknownAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := send(t, addr, message{family: tt.family, addr: tt.addr, from: "alice@pass.example", header: subject})
			require.Len(t, o.header, 3)
			assert.Equal(t, field{"Authentication-Results", "mx.hosted.example; spf=none smtp.mailfrom=pass.example (" + tt.why + ")"}, o.header[0])
			assert.Equal(t, field{"Received-SPF", "none (mx.hosted.example: " + tt.why + ") envelope-from=\"alice@pass.example\"; helo=mail.helo.example; receiver=mx.hosted.example; identity=mailfrom"}, o.header[1])
			v, receiver, err := spf.ParseReceivedSPF(o.header[1].value)
			require.NoError(t, err)
			assert.Equal(t, spf.None, v.Result)
			assert.Equal(t, ourID, receiver)
			v, err = spf.ParseAuthenticationResults(o.header[0].value, ourID)
			require.NoError(t, err)
			assert.Equal(t, spf.None, v.Result)
		})
	}
}

// TestRejectFail: with -reject-fail, fail is refused at MAIL FROM with
// 550 5.7.23 and the domain's explanation; other results go on.
func TestRejectFail(t *testing.T) {
	addr, log := startMilter(t, testConfig(func(c *config) { c.rejectFail = true }), newTestZone(t))
	o := send(t, addr, message{addr: "198.51.100.7", from: "mallory@fail.example", header: subject})
	require.True(t, o.mail.StopProcessing())
	assert.Equal(t, milter.ActionRejectWithCode, o.mail.Type)
	assert.Equal(t, uint16(550), o.mail.SMTPCode)
	assert.Equal(t, "550 5.7.23 198.51.100.7 is not one of fail.example's mail servers", o.mail.SMTPReply)
	assert.Nil(t, o.end)
	assert.Contains(t, log.String(), "action=reject result=fail")

	for _, from := range []string{"x@softfail.example", "x@temp.example", "x@none.example", "alice@pass.example"} {
		o := send(t, addr, message{addr: "192.0.2.1", from: from, header: subject})
		assert.Equal(t, milter.ActionContinue, o.mail.Type, from)
		if assert.NotNil(t, o.end, from) {
			assert.Equal(t, milter.ActionAccept, o.end.Type, from)
		}
	}
}

// TestRecordFailWithoutReject: without -reject-fail a fail is recorded
// only.
func TestRecordFailWithoutReject(t *testing.T) {
	addr, _ := startMilter(t, testConfig(nil), newTestZone(t))
	o := send(t, addr, message{addr: "198.51.100.7", from: "mallory@fail.example", header: subject})
	assert.Equal(t, milter.ActionContinue, o.mail.Type)
	assert.Equal(t, milter.ActionAccept, o.end.Type)
	assert.Equal(t, "mx.hosted.example; spf=fail smtp.mailfrom=fail.example", o.header[0].value)
}

// TestTempfailTemperror: with -tempfail-temperror, temperror is answered
// 451 4.7.24 at MAIL FROM.
func TestTempfailTemperror(t *testing.T) {
	addr, _ := startMilter(t, testConfig(func(c *config) { c.tempfailTemperror = true }), newTestZone(t))
	o := send(t, addr, message{addr: "192.0.2.1", from: "x@temp.example", header: subject})
	require.True(t, o.mail.StopProcessing())
	assert.Equal(t, uint16(451), o.mail.SMTPCode)
	assert.Equal(t, "451 4.7.24 SPF validation error: temporary DNS failure checking the policy of temp.example; try again later", o.mail.SMTPReply)

	o = send(t, addr, message{addr: "198.51.100.7", from: "mallory@fail.example", header: subject})
	assert.Equal(t, milter.ActionContinue, o.mail.Type, "fail is not refused without -reject-fail")
}

// TestTimeout: a DNS server that never answers gives temperror within
// the -timeout.
func TestTimeout(t *testing.T) {
	z := newTestZone(t)
	z.Inject("pass.example", spftest.Timeout)
	addr, _ := startMilter(t, testConfig(func(c *config) { c.timeout = time.Second }), z)
	o := send(t, addr, message{addr: "192.0.2.1", from: "alice@pass.example", header: subject})
	assert.Equal(t, "mx.hosted.example; spf=temperror smtp.mailfrom=pass.example", o.header[0].value)
}

// TestMessagesInOneSession: each message of a connection has its own
// verdict and edits; an aborted one leaves nothing behind.
func TestMessagesInOneSession(t *testing.T) {
	addr, _ := startMilter(t, testConfig(nil), newTestZone(t))
	first := message{addr: "192.0.2.1", from: "alice@pass.example",
		header: []field{{"Received-SPF", " pass receiver=mx.hosted.example"}}}
	s := openSession(t, addr, first)
	defer s.Close()
	o := transact(t, s, first)
	assert.Equal(t, "mx.hosted.example; spf=pass smtp.mailfrom=pass.example", o.header[0].value)
	assert.Len(t, o.header, 2, "the planted field is gone")

	_, err := s.Mail("mallory@fail.example", "")
	require.NoError(t, err)
	require.NoError(t, s.Abort(nil))

	second := message{from: "x@softfail.example", header: []field{{"Received-SPF", " pass receiver=other.example"}}}
	o = transact(t, s, second)
	assert.Equal(t, "mx.hosted.example; spf=softfail smtp.mailfrom=softfail.example", o.header[0].value)
	assert.Equal(t, second.header[0], o.header[2], "another host's field stays")
}
