package mailsyntax

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestReceivedFrom reads the HELO name and client IP of the from clause
// of a Received field (RFC 5321 §4.4, RFC 5322 §3.6.7) in the forms
// Postfix, sendmail and Exim write, and refuses everything that reads in
// more than one way.
func TestReceivedFrom(t *testing.T) {
	const tail = " by mx.hosted.example (Postfix) with ESMTPS id 4QxYz1; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)"
	ip := netip.MustParseAddr
	for _, tt := range []struct {
		name, in string
		helo     string
		ip       string // "" for not ok
	}{
		{"Postfix", "from mail.example.org (mail.example.org [192.0.2.10])" + tail, "mail.example.org", "192.0.2.10"},
		{"Postfix, folded as written", "from mail.example.org (mail.example.org [192.0.2.10])\r\n\tby mx.hosted.example (Postfix) with ESMTP id 1\r\n\tfor <bob@hosted.example>; Fri, 27 Nov 2026 10:00:00 +0000", "mail.example.org", "192.0.2.10"},
		{"Postfix, no reverse name", "from helo.example (unknown [192.0.2.10])" + tail, "helo.example", "192.0.2.10"},
		{"Postfix, IPv6", "from mail.example.org (mail.example.org [IPv6:2001:db8::1])" + tail, "mail.example.org", "2001:db8::1"},
		{"Postfix, HELO an address literal", "from [192.0.2.99] (unknown [192.0.2.10])" + tail, "[192.0.2.99]", "192.0.2.10"},
		{"Postfix, IPv4-mapped", "from h.example (unknown [IPv6:::ffff:192.0.2.10])" + tail, "h.example", "192.0.2.10"},
		{"sendmail, no reverse name", "from helo.example ([192.0.2.10]) by mx.example.net (8.17.1/8.17.1) with ESMTP id 1; Fri, 27 Nov 2026 10:00:00 +0000", "helo.example", "192.0.2.10"},
		{"sendmail, ident", "from helo.example (user@rdns.example [192.0.2.10]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "helo.example", "192.0.2.10"},
		{"sendmail, may be forged", "from helo.example (rdns.example [192.0.2.10] (may be forged)) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "helo.example", "192.0.2.10"},
		{"Exim, helo=", "from host.example ([192.0.2.1] helo=foo.example) by mx.example.net with esmtp (Exim 4.96) (envelope-from <a@example.org>) id 1abc-0001; Fri, 27 Nov 2026 10:00:00 +0000", "foo.example", "192.0.2.1"},
		{"Exim, HELO the verified name", "from host.example ([192.0.2.1]) by mx.example.net with esmtp (Exim 4.96) id 1; Fri, 27 Nov 2026 10:00:00 +0000", "host.example", "192.0.2.1"},
		{"Exim, port and ident", "from host.example ([192.0.2.1]:54321 helo=foo.example ident=joe) by mx.example.net with esmtp id 1; Fri, 27 Nov 2026 10:00:00 +0000", "foo.example", "192.0.2.1"},
		{"Exim, no verified name", "from [192.0.2.1] (helo=foo.example) by mx.example.net with esmtp id 1; Fri, 27 Nov 2026 10:00:00 +0000", "foo.example", "192.0.2.1"},
		{"Exim, no verified name, port", "from [192.0.2.1] (port=25 helo=foo.example) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "foo.example", "192.0.2.1"},
		{"Exim, IPv6", "from [2001:db8::1] (helo=foo.example) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "foo.example", "2001:db8::1"},
		{"Exim, no HELO told", "from [192.0.2.1] by mx.example.net with esmtp id 1; Fri, 27 Nov 2026 10:00:00 +0000", "", "192.0.2.1"},
		{"keywords in any case", "FROM a.example (a.example [192.0.2.1]) BY mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "a.example", "192.0.2.1"},

		// A client's HELO with spaces and parentheses, as Postfix writes it.
		{"a HELO that fakes a comment", "from x (y [6.6.6.6]) (real.example [192.0.2.10])" + tail, "", ""},
		{"a HELO that fakes a by clause", "from x (y [6.6.6.6]) by mx.hosted.example (real.example [192.0.2.10])" + tail, "", ""},
		{"a HELO that fakes a via clause", "from x (y [6.6.6.6]) via z (real.example [192.0.2.10])" + tail, "", ""},
		{"a HELO of two words", "from a b (real.example [192.0.2.10])" + tail, "", ""},
		{"a HELO with a stray parenthesis", "from x) (real.example [192.0.2.10])" + tail, "", ""},
		{"a HELO with a semicolon", "from x; (real.example [192.0.2.10])" + tail, "", ""},
		{"a second with clause", "from a (a [192.0.2.1]) by mx.example.net with x with ESMTP; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"an Exim helo= twice", "from h.example ([192.0.2.1] helo=a helo=b) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"an unknown Exim item", "from h.example ([192.0.2.1] evil=1) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"two literals", "from h.example ([192.0.2.1] [192.0.2.2]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"three words", "from h.example (a b [192.0.2.1]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"another nested comment", "from h.example (a [192.0.2.1] (trust me)) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"no IP", "from h.example (h.example) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"a bare IP, not a literal", "from h.example (h.example 192.0.2.1) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"a bad address", "from h.example (h.example [192.0.2.300]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"an IPv6 tag on IPv4", "from h.example (h.example [IPv6:192.0.2.1]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"a zone", "from h.example (h.example [IPv6:fe80::1%eth0]) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"a port where Postfix writes none", "from h.example (h.example [192.0.2.1]:25) by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"no by clause", "from h.example (h.example [192.0.2.1]); Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"no from clause", "by mx.example.net (Postfix, from userid 1000) id 1; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"an unclosed comment", "from h.example (h.example [192.0.2.1] by mx.example.net; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"two semicolons", "from h.example (h.example [192.0.2.1]) by mx.example.net; x; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"Exchange's bare addresses", "from EX1.corp.example (10.0.0.1) by EX2.corp.example (10.0.0.2) with Microsoft SMTP Server id 15.0; Fri, 27 Nov 2026 10:00:00 +0000", "", ""},
		{"empty", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			helo, got, ok := ReceivedFrom(tt.in)
			if tt.ip == "" {
				assert.False(t, ok, "read as %q %v", helo, got)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tt.helo, helo)
			assert.Equal(t, ip(tt.ip), got)
		})
	}
}

// TestReceivedDate reads the date-time after the semicolon (RFC 5322
// §3.6.7).
func TestReceivedDate(t *testing.T) {
	want := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for in, ok := range map[string]bool{
		"from a (a [192.0.2.1]) by b; Fri, 27 Nov 2026 10:00:00 +0000 (UTC)":  true,
		"from a (a [192.0.2.1]) by b;\r\n\tFri, 27 Nov 2026 10:00:00 +0000":   true,
		"by b (comment; with a semicolon); Fri, 27 Nov 2026 10:00:00 +0000":   true,
		"by b for \"odd;local\"@example.org; Fri, 27 Nov 2026 10:00:00 +0000": true,
		"from a by b":                        false,
		"from a by b; yesterday":             false,
		"by b; Fri, 27 Nov 2026 10:00:00; x": false,
	} {
		got, gotOK := ReceivedDate(in)
		assert.Equal(t, ok, gotOK, in)
		if ok {
			assert.True(t, want.Equal(got), "%s: %v", in, got)
		}
	}
}

func FuzzReceivedFrom(f *testing.F) {
	for _, s := range []string{
		"from a (b [192.0.2.1]) by c; Fri, 27 Nov 2026 10:00:00 +0000",
		"from [2001:db8::1] (port=1 helo=x) by c",
		"from a (\"q\\\"(\" [1.2.3.4] (may be forged)) by c",
		"from h ([192.0.2.1] helo=\"a b\") by c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		helo, ip, ok := ReceivedFrom(s)
		if !ok {
			return
		}
		if !ip.IsValid() || ip.Zone() != "" || ip.Is4In6() {
			t.Fatalf("%q: invalid IP %v", s, ip)
		}
		for _, c := range []byte(helo) {
			if c == ' ' || c == '(' || c == ')' || c == '"' || c == '\r' || c == '\n' {
				t.Fatalf("%q: HELO %q holds %q", s, helo, c)
			}
		}
		ReceivedDate(s)
	})
}

func TestReceivedWith(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"from a.example (a.example [192.0.2.1]) by mx.example (Postfix) with ESMTPSA id X for <b@c>; Mon, 05 Feb 2024 10:00:00 +0000", "ESMTPSA"},
		{"from [192.0.2.1] (helo=a.example) by mx.example with esmtpsa (TLS1.3) tls X (Exim 4.96) (envelope-from <a@b>) id Y; Mon, 05 Feb 2024 10:00:00 +0000", "esmtpsa"},
		{"from with (unknown [192.0.2.1]) by mx.example with ESMTP id X; Mon, 05 Feb 2024 10:00:00 +0000", "ESMTP"},
		{"from a (unknown [192.0.2.1]) by mx.example (with ESMTPSA) id X; Mon, 05 Feb 2024 10:00:00 +0000", ""},
		{"from a (unknown [192.0.2.1]) by mx.example with ESMTPSA with ESMTP; Mon, 05 Feb 2024 10:00:00 +0000", ""},
		{"by mx.example (Postfix, from userid 0) with ESMTPSA id X; Mon, 05 Feb 2024 10:00:00 +0000", ""},
	} {
		if got := ReceivedWith(tt.value); got != tt.want {
			t.Errorf("ReceivedWith(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
