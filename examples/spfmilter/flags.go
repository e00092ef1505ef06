package main

import (
	"flag"
	"io"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/milterflag"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// config is what the flags say; every session shares it, read-only.
type config struct {
	listen milterflag.Addr
	// authservID names this host in the fields it writes and is how it
	// knows the fields that claim to be its own (RFC 8601 §2.5).
	authservID string
	// rejectFail rejects SPF fail at MAIL FROM (RFC 7208 §8.4).
	rejectFail bool
	// tempfailTemperror tempfails SPF temperror at MAIL FROM (RFC 7208 §8.6).
	tempfailTemperror bool
	// timeout bounds each SPF check (RFC 7208 §4.6.4).
	timeout           time.Duration
	dnsAddr, zoneFile string
}

// about is what -h says before the flags.
const about = `usage: spfmilter -listen ADDR [-authserv-id NAME] [-reject-fail] [-tempfail-temperror]
                 [-timeout DURATION] [-dns HOST[:PORT] | -zone FILE]

A milter that checks SPF (RFC 7208) on the return path of each message
received, records the result in Received-SPF and Authentication-Results
fields at the top of the header, and deletes arriving fields of those names
that claim this host's authserv-id (RFC 8601 §5). Configure the MTA with
milter_default_action = tempfail, so that no message is accepted unmarked
while the milter is down.

Flags:
`

// parseFlags reads the command line. -h prints the help on stdout and
// returns flag.ErrHelp; other errors match cmdflag.ErrUsage.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("spfmilter", flag.ContinueOnError)
	listen := milterflag.DefineListen(fs)
	fs.StringVar(&cfg.authservID, "authserv-id", "", "this host's name in the fields it writes and deletes (default: the host name)")
	fs.BoolVar(&cfg.rejectFail, "reject-fail", false, "reject SPF fail at MAIL FROM with 550 5.7.23 and the domain's explanation")
	fs.BoolVar(&cfg.tempfailTemperror, "tempfail-temperror", false, "answer SPF temperror at MAIL FROM with 451 4.7.24")
	fs.DurationVar(&cfg.timeout, "timeout", spf.DefaultTimeout, "the time limit of each SPF check, at least 1s")
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
	if cfg.authservID, err = cmdflag.AuthservID(cfg.authservID); err != nil {
		return cfg, err
	}
	return cfg, nil
}
