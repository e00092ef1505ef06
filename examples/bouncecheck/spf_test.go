package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const spfZone = "testdata/spf.zone"

// runSPFCommand runs `bouncecheck spf args...` and returns its exit status
// and output.
func runSPFCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append([]string{"spf"}, args...), nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSPFCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"pass", []string{"-ip", "192.0.2.10", "-helo", "mail.genuine.example", "-sender", "alice@genuine.example"}, map[string]string{
			"result": "pass", "identity": "mailfrom", "domain": "genuine.example", "sender": "alice@genuine.example", "explanation": "",
			"received_spf": `Received-SPF: pass (mx.test: domain of alice@genuine.example designates 192.0.2.10 as permitted sender)` +
				` client-ip=192.0.2.10; envelope-from="alice@genuine.example"; helo=mail.genuine.example; receiver=mx.test;` +
				` identity=mailfrom; mechanism="ip4:192.0.2.0/24"`,
			"authentication_results": "Authentication-Results: mx.test; spf=pass smtp.mailfrom=genuine.example",
		}},
		{"fail with exp=", []string{"-ip", "203.0.113.5", "-helo", "mail.x.example", "-sender", "bob@forged.example"}, map[string]string{
			"result": "fail", "identity": "mailfrom", "domain": "forged.example", "sender": "bob@forged.example",
			"explanation": "203.0.113.5 is not allowed to send mail as bob@forged.example",
			"received_spf": `Received-SPF: fail (mx.test: domain of bob@forged.example does not designate 203.0.113.5 as permitted sender)` +
				` client-ip=203.0.113.5; envelope-from="bob@forged.example"; helo=mail.x.example; receiver=mx.test;` +
				` identity=mailfrom; mechanism=-all`,
			"authentication_results": "Authentication-Results: mx.test; spf=fail smtp.mailfrom=forged.example",
		}},
		{"null sender checks postmaster@HELO", []string{"-ip", "192.0.2.10", "-helo", "mail.genuine.example", "-sender", ""}, map[string]string{
			"result": "pass", "identity": "mailfrom", "domain": "mail.genuine.example", "sender": "postmaster@mail.genuine.example",
		}},
		{"null sender written <> checks postmaster@HELO", []string{"-ip", "192.0.2.10", "-helo", "mail.genuine.example", "-sender", "<>"}, map[string]string{
			"result": "pass", "identity": "mailfrom", "domain": "mail.genuine.example", "sender": "postmaster@mail.genuine.example",
		}},
		{"sender in angle brackets", []string{"-ip", "192.0.2.10", "-helo", "mail.x.example", "-sender", "<alice@genuine.example>"}, map[string]string{
			"result": "pass", "domain": "genuine.example", "sender": "alice@genuine.example",
		}},
		{"no policy", []string{"-ip", "2001:db8::1", "-helo", "mail.x.example", "-sender", "carol@nowhere.example"}, map[string]string{
			"result": "none", "domain": "nowhere.example",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runSPFCommand(append(tt.args, "-zone", spfZone, "-receiver", "mx.test")...)
			require.Equal(t, 0, code, stderr)
			var got map[string]string
			require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
			assert.Len(t, got, 7, "the keys of the contract")
			for k, v := range tt.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}
}

func TestSPFCommandErrors(t *testing.T) {
	tests := []struct {
		args  []string
		field string
	}{
		{[]string{"-ip", "999.1.1.1", "-helo", "h.example", "-zone", spfZone}, "-ip"},
		{[]string{"-helo", "h.example", "-zone", spfZone}, "-ip"},
		{[]string{"-ip", "192.0.2.1", "-zone", spfZone}, "-helo"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-dns", "127.0.0.1", "-zone", spfZone}, "-dns"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-zone", "testdata/no-such.zone"}, "-zone"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-bogus"}, "-bogus"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-dns", "127.0.0.1:notaport"}, "-dns"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-dns", "127.0.0.1:70000"}, "-dns"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-dns", "ns example"}, "-dns"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example\r\nX-Evil: 1", "-zone", spfZone}, "-helo"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-sender", "a@b.example\n", "-zone", spfZone}, "-sender"},
		{[]string{"-ip", "192.0.2.1", "-helo", "h.example", "-zone", spfZone, "extra"}, "extra"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runSPFCommand(tt.args...)
		assert.Equal(t, 2, code, "%v", tt.args)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, tt.field, "%v", tt.args)
	}
}
