package spf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

func TestValidateRecord(t *testing.T) {
	tests := []struct {
		rfc, record string
		valid       bool
	}{
		{"4.5", "v=spf1", true},
		{"4.5", "V=SPF1 -ALL", true},
		{"4.5", "v=spf10 -all", false},
		{"4.6.1", "v=spf1  ip4:192.0.2.0/24   -all  ", true},
		{"4.6.1", "v=spf1 ip4:192.0.2.1\t-all", false},
		{"3.1", "v=spf1 a:caf\xc3\xa9.example -all", false},
		{"4.6.2", "v=spf1 +a -mx ~ptr ?all", true},
		{"4.6.2", "v=spf1 --all", false},
		{"5", "v=spf1 foo -all", false},
		{"5.1", "v=spf1 all:example.com", false},
		{"5.2", "v=spf1 include:_spf.example.com", true},
		{"5.2", "v=spf1 include", false},
		{"5.2", "v=spf1 include:", false},
		{"5.3", "v=spf1 a a:example.com a/24 a//64 a:example.com/24//64", true},
		{"5.3", "v=spf1 a/33", false},
		{"5.3", "v=spf1 a//129", false},
		{"5.3", "v=spf1 a/024", false},
		{"5.3", "v=spf1 a:", false},
		{"5.4", "v=spf1 mx:example.com/0//0 -all", true},
		{"5.4", "v=spf1 mx:example.com/", false},
		{"5.5", "v=spf1 ptr ptr:example.com", true},
		{"5.5", "v=spf1 ptr/24", false},
		{"5.6", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::ffff:192.0.2.1", true},
		{"5.6", "v=spf1 ip4:192.0.2.1/33", false},
		{"5.6", "v=spf1 ip4:192.0.02.1", false},
		{"5.6", "v=spf1 ip4:2001:db8::1", false},
		{"5.6", "v=spf1 ip6:192.0.2.1", false},
		{"5.6", "v=spf1 ip6:2001:db8::/129", false},
		{"5.6", "v=spf1 ip4", false},
		{"5.7", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d}", true},
		{"6", "v=spf1 redirect=_spf.example.com", true},
		{"6", "v=spf1 redirect=a.example.com redirect=b.example.com", false},
		{"6", "v=spf1 exp=a.example.com exp=b.example.com -all", false},
		{"6", "v=spf1 -redirect=a.example.com", false},
		{"6", "v=spf1 foo=bar moo.cow-far_out=%{s} -all", true},
		{"6", "v=spf1 foo=%", false},
		{"6.2", "v=spf1 exp=", false},
		{"7.1", "v=spf1 a:foo:bar/baz.example.com", true},
		{"7.1", "v=spf1 a:example.com.", true},
		{"7.1", "v=spf1 a:example.123", false},
		{"7.1", "v=spf1 a:example.-com", false},
		{"7.1", "v=spf1 a:example.1-2", true},
		{"7.1", "v=spf1 a:example", false},
		{"7.1", "v=spf1 a:%{d}", true},
		{"7.1", "v=spf1 a:%{d}x", false},
		{"7.1", "v=spf1 a:%{x}.example.com", false},
		{"7.1", "v=spf1 a:%{c}.example.com", false},
		{"7.1", "v=spf1 exists:%{d0}.example.com", false},
		{"7.1", "v=spf1 exists:%%.example.com", true},
		{"7.1", "v=spf1 exists:%.example.com", false},
	}
	for _, tt := range tests {
		err := spf.ValidateRecord(tt.record)
		if tt.valid {
			assert.NoError(t, err, "RFC 7208 §%s: %q", tt.rfc, tt.record)
		} else {
			assert.ErrorIs(t, err, spf.ErrSyntax, "RFC 7208 §%s: %q", tt.rfc, tt.record)
		}
	}
}

func TestValidateRecordNamesTheTerm(t *testing.T) {
	err := spf.ValidateRecord("v=spf1 a -ip4:192.0.2.1/40 -all")
	assert.ErrorContains(t, err, `"-ip4:192.0.2.1/40"`)
	assert.ErrorContains(t, err, "RFC 7208 §5.6")
}
