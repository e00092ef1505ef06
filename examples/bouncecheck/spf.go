package main

import (
	"context"
	"flag"
	"io"
	"net/netip"
	"os"
	"strings"
	"unicode"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// spfOutput is the JSON object of `bouncecheck spf`.
type spfOutput struct {
	Result                string `json:"result"`
	Identity              string `json:"identity"`
	Domain                string `json:"domain"`
	Sender                string `json:"sender"`
	Explanation           string `json:"explanation"`
	ReceivedSPF           string `json:"received_spf"`
	AuthenticationResults string `json:"authentication_results"`
}

// spfAbout is what `bouncecheck spf -h` says it does.
const spfAbout = `Evaluates SPF (RFC 7208) for the client IP, HELO name and return path
(postmaster@NAME when -sender is empty or <>), and prints the result as JSON
with the Received-SPF and Authentication-Results fields that record it.
`

// runSPF implements `bouncecheck spf -ip IP -helo NAME -sender ADDR
// [-dns HOST[:PORT] | -zone FILE] [-receiver NAME]`: it checks the return
// path (postmaster@NAME when -sender is empty) and prints the verdict with
// the header fields that would record it.
func runSPF(args []string, _ io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("spf", flag.ContinueOnError)
	ipFlag := fs.String("ip", "", "the client's IP address")
	helo := fs.String("helo", "", "the HELO/EHLO name")
	sender := fs.String("sender", "", "the MAIL FROM return path; empty for the null sender")
	dnsAddr := fs.String("dns", "", "the DNS server to ask, HOST[:PORT]")
	zoneFile := fs.String("zone", "", "an RFC 1035 zone file to answer from")
	receiver := fs.String("receiver", "", "this host's name for the headers (default: the host name)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cmdflag.Usagef("spf: unexpected argument %q", fs.Arg(0))
	}
	ip, err := netip.ParseAddr(*ipFlag)
	if err != nil {
		return cmdflag.Usagef("spf: -ip %q is not an IP address", *ipFlag)
	}
	if *helo == "" && *sender == "" {
		return cmdflag.Usagef("spf: -helo or -sender is required")
	}
	// Header fields and DNS names cannot carry controls (RFC 5322 §2.2).
	for _, f := range []struct{ name, value string }{{"-helo", *helo}, {"-sender", *sender}} {
		if strings.ContainsFunc(f.value, unicode.IsControl) {
			return cmdflag.Usagef("spf: %s %q holds a control character", f.name, f.value)
		}
	}
	resolver, err := dnsflag.New(*dnsAddr, *zoneFile)
	if err != nil {
		return err
	}
	if *receiver == "" {
		if *receiver, err = os.Hostname(); err != nil {
			*receiver = "localhost"
		}
	}

	checker := &spf.Checker{Resolver: resolver, Receiver: *receiver}
	v := checker.Check(context.Background(), ip, *helo, *sender)
	return writeJSON(stdout, spfOutput{
		Result:                string(v.Result),
		Identity:              string(v.Identity),
		Domain:                v.Domain,
		Sender:                v.Sender,
		Explanation:           v.Explanation,
		ReceivedSPF:           "Received-SPF: " + v.ReceivedSPF(*receiver),
		AuthenticationResults: "Authentication-Results: " + v.AuthenticationResults(*receiver),
	})
}
