package main

import (
	"flag"
	"io"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/policyjson"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// policyFlags are the flags that make the policy of decide and reply:
// -policy, -dns, -zone and -now.
type policyFlags struct {
	file, dns, zone, now *string
}

// newPolicyFlags defines the policy flags on fs.
func newPolicyFlags(fs *flag.FlagSet) policyFlags {
	return policyFlags{
		file: fs.String("policy", "", "the policy, JSON (- for stdin); defaults when absent"),
		dns:  fs.String("dns", "", "DNS server to evaluate SPF with, host[:port]"),
		zone: fs.String("zone", "", "RFC 1035 zone file to evaluate SPF with"),
		now:  fs.String("now", "", "the current time, RFC 3339"),
	}
}

// load reads the policy file, if any, and sets the clock and the SPF
// checker the flags ask for. cmd names the subcommand in errors.
func (f policyFlags) load(cmd string, stdin io.Reader) (*policy.Policy, error) {
	pol := &policy.Policy{}
	if *f.file != "" {
		var pj policyjson.File
		if err := readJSON(*f.file, "policy", stdin, &pj); err != nil {
			return nil, err
		}
		var err error
		if pol, err = pj.Policy(); err != nil {
			return nil, cmdflag.Usage(err)
		}
	}
	if *f.now != "" {
		now, err := time.Parse(time.RFC3339, *f.now)
		if err != nil {
			return nil, cmdflag.Usagef("%s: -now: %q is not an RFC 3339 date", cmd, *f.now)
		}
		pol.Now = func() time.Time { return now }
	}
	// Without -dns or -zone, the policy's default checker asks the system
	// resolvers, and only if the decision needs SPF.
	if *f.dns != "" || *f.zone != "" {
		res, err := dnsflag.New(*f.dns, *f.zone)
		if err != nil {
			return nil, err
		}
		pol.Checker = &spf.Checker{Resolver: res, Receiver: pol.ReportingMTA, Now: pol.Now}
	}
	return pol, nil
}
