package main

import (
	"cmp"
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/milterflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/policyjson"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// config is what the flags say; every session shares it, read-only.
type config struct {
	listen milterflag.Addr
	// policyFile is the -policy file, the policy the other flags amend;
	// nil for the defaults. parseFlags has checked that it converts.
	policyFile *policyjson.File
	// authservID is our host name: the DSNs' Reporting-MTA and the by
	// clause of our Received fields. trustRecorded is set when it was
	// given (by the flag, or the policy's authserv_id with
	// trust_recorded_headers): the Received-SPF and Authentication-Results
	// fields naming it are then trusted, spfmilter having deleted arriving
	// ones (RFC 8601 §5). Without it, SPF is evaluated at bounce time.
	authservID    string
	trustRecorded bool
	// postmaster receives the DSNs dropped for the reasons of noticeOn
	// (nil: the policy's default set); "" discards them all.
	postmaster string
	noticeOn   []policy.Reason
	// timeout bounds each decision, its SPF evaluation included
	// (RFC 7208 §4.6.4).
	timeout           time.Duration
	dnsAddr, zoneFile string
}

// about is what -h says before the flags.
const about = `usage: bouncemilter -listen ADDR [-policy FILE] [-authserv-id NAME] [-postmaster ADDRESS]
                    [-notice-on REASON,...] [-timeout DURATION] [-dns HOST[:PORT] | -zone FILE]

A milter for the cleanup service that only Postfix's bounce(8) uses. It
reads each delivery status notification (RFC 3464) Postfix writes, decides
with the bounce policy whether the return path gets it, and then lets it
go (with an X-Bounce-Policy field), hands it to the postmaster, discards
it, or tempfails so that Postfix keeps the original queued and writes the
DSN again later. Configure bcleanup with milter_default_action = tempfail,
so that no DSN leaves undecided while the milter is down.

Flags:
`

// parseFlags reads the command line. -h prints the help on stdout and
// returns flag.ErrHelp; other errors match cmdflag.ErrUsage.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bouncemilter", flag.ContinueOnError)
	listen := milterflag.DefineListen(fs)
	policyFile := fs.String("policy", "", "the bounce policy, bouncecheck's JSON; the other flags amend it (default: the policy's defaults)")
	fs.StringVar(&cfg.authservID, "authserv-id", "", "our host name, as spfmilter's -authserv-id: trusts the SPF results recorded under it (default: the host name, trusting none)")
	fs.StringVar(&cfg.postmaster, "postmaster", "", "the address that gets the dropped DSNs whose reason is in -notice-on (default: discard them)")
	noticeOn := fs.String("notice-on", "", "comma-separated drop reasons that go to -postmaster, or \"none\" (default: spf-temperror-expired,spf-none,spf-neutral,spf-softfail,spf-permerror,hostile-content)")
	fs.DurationVar(&cfg.timeout, "timeout", spf.DefaultTimeout, "the time limit of each decision, at least 1s")
	dnsflag.Define(fs, &cfg.dnsAddr, &cfg.zoneFile)
	err := cmdflag.ParseArgs(fs, args, about, stdout)
	if err != nil {
		return cfg, err
	}
	if cfg.listen, err = milterflag.ParseListen(*listen); err != nil {
		return cfg, err
	}
	if cfg.timeout < time.Second {
		return cfg, cmdflag.Usagef("-timeout %v: at least 1s", cfg.timeout)
	}
	if *policyFile != "" {
		if cfg.policyFile, err = policyjson.ReadFile(*policyFile); err != nil {
			return cfg, err
		}
		if cfg.authservID == "" {
			cfg.authservID = cmp.Or(cfg.policyFile.AuthservID, cfg.policyFile.ReportingMTA)
			cfg.trustRecorded = cfg.authservID != "" && cfg.policyFile.TrustHeaders
		}
	} else {
		cfg.trustRecorded = cfg.authservID != ""
	}
	if cfg.authservID, err = cmdflag.AuthservID(cfg.authservID); err != nil {
		return cfg, err
	}
	if *noticeOn != "" {
		cfg.noticeOn = []policy.Reason{} // non-nil: exactly these
		for r := range strings.SplitSeq(*noticeOn, ",") {
			if r = strings.TrimSpace(r); r != "" && r != "none" {
				cfg.noticeOn = append(cfg.noticeOn, policy.Reason(r))
			}
		}
	}
	// The policy checks the address and the reasons; its error names
	// the policy's field, the flag's name with '_' for '-'.
	var fe *dsn.FieldError
	if err := newPolicy(cfg, nil).Validate(); errors.As(err, &fe) && cfg.policyFile == nil {
		return cfg, cmdflag.Usagef("-%s: %s", strings.ReplaceAll(fe.Field, "_", "-"), fe.Rule)
	} else if err != nil {
		return cfg, cmdflag.Usagef("-policy %s with the flags: %v", *policyFile, err)
	}
	return cfg, nil
}
