package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// Checking a return path at bounce time, against a zone in memory.
func ExampleChecker_Check() {
	zone := `
example.org.     TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.org"
why.example.org. TXT "%{c} is not one of %{d}'s mail servers"
`
	r, err := resolver.NewZone(strings.NewReader(zone), ".")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &spf.Checker{Resolver: r}
	for _, ip := range []string{"192.0.2.10", "203.0.113.5"} {
		v := c.Check(context.Background(), netip.MustParseAddr(ip), "mail.example.org", "alice@example.org")
		fmt.Printf("%s by %s: %q\n", v.Result, v.Mechanism, v.Explanation)
	}
	// Output:
	// pass by ip4:192.0.2.0/24: ""
	// fail by -all: "203.0.113.5 is not one of example.org's mail servers"
}

// Recording the verdict at receipt, and reading it back at bounce time.
func ExampleVerdict_ReceivedSPF() {
	v := spf.Verdict{
		Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
		ClientIP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.org", Mechanism: "ip4:192.0.2.0/24",
	}
	field := v.ReceivedSPF("mx.example.net")
	fmt.Println("Received-SPF:", field)

	back, receiver, err := spf.ParseReceivedSPF(field)
	fmt.Println(back.Result, back.Sender, receiver, err)
	// Output:
	// Received-SPF: pass (mx.example.net: domain of alice@example.org designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from="alice@example.org"; helo=mail.example.org; receiver=mx.example.net; identity=mailfrom; mechanism="ip4:192.0.2.0/24"
	// pass alice@example.org mx.example.net <nil>
}

// Only results from our own authentication service are trusted.
func ExampleParseAuthenticationResults() {
	field := "mx.example.net; spf=fail smtp.mailfrom=example.org; dkim=none"
	v, err := spf.ParseAuthenticationResults(field, "mx.example.net")
	fmt.Println(v.Result, v.Domain, err)

	_, err = spf.ParseAuthenticationResults(field, "elsewhere.example")
	fmt.Println(err)
	// Output:
	// fail example.org <nil>
	// spf: no SPF result: authserv-id "mx.example.net" is not "elsewhere.example" (RFC 8601 §5)
}

func ExampleValidateRecord() {
	fmt.Println(spf.ValidateRecord("v=spf1 ip4:192.0.2.0/24 -all"))
	fmt.Println(spf.ValidateRecord("v=spf1 ip4:192.0.2.0/33 -all"))
	// Output:
	// <nil>
	// spf: record syntax error: "ip4:192.0.2.0/33": prefix length "33" is not a number from 0 to 32 (RFC 7208 §5.6)
}
