package spf

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzSyntax: the strict record check never panics, and the macros of a
// record it accepts always expand.
func FuzzSyntax(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all",
		"v=spf1 a:foo:bar/baz.example.com/24//64 mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all",
		"v=spf1 include:_spf.%{d2} exists:%{ir}.%{l1r+-}._spf.%{d} redirect=%{o} exp=x.%{d}",
		"v=spf1 foo=bar%{s} -exp=x a:%{d0}",
		"v=spf1 a/33 ip4:1.2.3.4//2",
	} {
		f.Add(s)
	}
	env := &macroEnv{sender: "a@b.example", local: "a", senderDomain: "b.example", helo: "h.example",
		ip: netip.MustParseAddr("192.0.2.1"), validated: "unknown", receiver: "r.example", now: func() time.Time { return time.Unix(0, 0) }}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := parseRecord(s)
		if err != nil {
			return
		}
		for _, term := range rec.terms {
			if term.domain == "" {
				continue
			}
			if _, err := env.expandDomain(term.domain, "d.example"); err != nil {
				t.Errorf("accepted %q, but its domain-spec %q does not expand: %v", s, term.domain, err)
			}
		}
	})
}

// FuzzParseReceivedSPF: the parser never panics, and what it reads renders
// back on one line that it reads again.
func FuzzParseReceivedSPF(f *testing.F) {
	f.Add(`pass (mx.example: domain of a@b.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from="a@b.example"; helo=h.example; receiver=mx.example; identity=mailfrom; mechanism="ip4:192.0.2.0/24"`)
	f.Add("Received-SPF: fail (c (nested) \\) x) identity=helo; client-ip=2001:db8::1; helo=\"a\\\"b\"; envelope-from=<>;")
	f.Add("none")
	f.Fuzz(func(t *testing.T, value string) {
		v, receiver, err := ParseReceivedSPF(value)
		if err != nil {
			return
		}
		out := v.ReceivedSPF(receiver)
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("rendered %q with a line break", out)
		}
		if _, _, err := ParseReceivedSPF(out); err != nil {
			t.Fatalf("cannot read back %q (from %q): %v", out, value, err)
		}
	})
}

// FuzzExpandMacros: expansion never panics, and accepts exactly the
// macro-strings the syntax check accepts.
func FuzzExpandMacros(f *testing.F) {
	for _, s := range []string{"%{ir}.%{v}._spf.%{d2}", "%{L}%%%_%-", "%{p}.%{c} %{r} %{t}", "%{d0}", "%{s", "%x"} {
		f.Add(s, "2001:db8::1")
	}
	f.Fuzz(func(t *testing.T, s, ip string) {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			addr = netip.MustParseAddr("192.0.2.1")
		}
		env := &macroEnv{sender: "x.y-z@b.example", local: "x.y-z", senderDomain: "b.example", helo: "h.example",
			ip: addr, validated: "p.example", receiver: "r.example", now: func() time.Time { return time.Unix(0, 0) }}
		_, checkErr := checkMacroString(s, true, true)
		_, expandErr := env.expand(s, "d.example", true)
		if checkErr == nil && expandErr != nil {
			t.Fatalf("%q passes the check but does not expand: %v", s, expandErr)
		}
		name, err := env.expandDomain(s, "d.example")
		if err == nil && len(name) > 253 && strings.Contains(name[len(name)-253:], ".") {
			t.Fatalf("%q expands to %d characters, not truncated", s, len(name))
		}
	})
}
