package main

import (
	"flag"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// Defaults of the flags.
const (
	defaultListen = "127.0.0.1:2525"
	// defaultTimeout is well under the 10 minutes an MTA waits for the
	// reply to the final dot (RFC 5321 §4.5.3.2.6; Postfix's
	// smtp_data_done_timeout): the gate answers before the MTA gives up
	// on it, so a relayed message is never sent twice for want of a reply.
	defaultTimeout = time.Minute
	// defaultMaxSize is Postfix's message_size_limit.
	defaultMaxSize = 10_240_000
	// defaultMaxSessions bounds the sessions served at once: each holds
	// up to -max-size in memory.
	defaultMaxSessions = 50
)

// config is what the flags say.
type config struct {
	listen string
	// nextHop, host:port, receives all mail; empty: each recipient's MX.
	nextHop string
	// hostname is the gate's name in its greeting and EHLO, and the
	// policy's authserv-id (unless the policy file names one): the host
	// whose Received field the DSN's returned header starts with.
	hostname string
	// authservGiven says -authserv-id was given: it then overrides the
	// policy file's.
	authservGiven bool
	postmaster    string
	policyFile    string
	// timeout bounds the decision and relay of one message.
	timeout           time.Duration
	maxSize           int64
	maxSessions       int
	dnsAddr, zoneFile string
}

// about is what -h says before the flags.
const about = `usage: bouncegate [-listen HOST:PORT] [-next-hop HOST:PORT] [-authserv-id NAME]
                  [-postmaster ADDR] [-policy FILE] [-timeout DURATION]
                  [-max-size BYTES] [-max-sessions N] [-dns HOST[:PORT] | -zone FILE]

An SMTP relay for MTAs without a bounce hook (qmail, Exim): the MTA sends it
its outgoing mail, one recipient per transaction. A DSN (null sender) is
decided by the bounce policy: bounce relays it on, drop answers 250 (and
sends the postmaster notice), defer answers 451. Other mail is relayed on.
Whenever it cannot decide or relay, it answers 4xx: the MTA keeps the
message, and the gate has no queue of its own.

Flags:
`

// parseFlags reads the command line. -h prints the help on stdout and
// returns flag.ErrHelp; other errors match cmdflag.ErrUsage.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bouncegate", flag.ContinueOnError)
	fs.StringVar(&cfg.listen, "listen", defaultListen, "where to listen for the MTA, HOST:PORT")
	fs.StringVar(&cfg.nextHop, "next-hop", "", "relay everything to this SMTP server, HOST:PORT (default: each recipient's MX, port 25)")
	fs.StringVar(&cfg.hostname, "authserv-id", "", "this host's name: the MTA's myhostname, in its Received and Received-SPF fields (default: the policy's authserv_id, else the host name)")
	fs.StringVar(&cfg.postmaster, "postmaster", "", "the address that gets a notice of the drops the policy's notice_on names (overrides the policy's)")
	fs.StringVar(&cfg.policyFile, "policy", "", "the bounce policy, JSON as bouncecheck reads it (default: SPF-gated)")
	fs.DurationVar(&cfg.timeout, "timeout", defaultTimeout, "the time limit of the decision and relay of one message, 1s to 9m")
	fs.Int64Var(&cfg.maxSize, "max-size", defaultMaxSize, "the largest message taken, in bytes (SIZE)")
	fs.IntVar(&cfg.maxSessions, "max-sessions", defaultMaxSessions, "the most sessions served at once")
	dnsflag.Define(fs, &cfg.dnsAddr, &cfg.zoneFile)
	err := cmdflag.ParseArgs(fs, args, about, stdout)
	switch {
	case err != nil:
		return cfg, err
	case cfg.timeout < time.Second || cfg.timeout > 9*time.Minute:
		return cfg, cmdflag.Usagef("-timeout %v: from 1s to 9m, under the MTA's 10 minutes for the reply to the final dot", cfg.timeout)
	case cfg.maxSize < 1024:
		return cfg, cmdflag.Usagef("-max-size %d: at least 1024 bytes", cfg.maxSize)
	case cfg.maxSessions < 1:
		return cfg, cmdflag.Usagef("-max-sessions %d: at least 1", cfg.maxSessions)
	}
	if err := checkHostPort("-listen", cfg.listen, true); err != nil {
		return cfg, err
	}
	if cfg.nextHop != "" {
		if err := checkHostPort("-next-hop", cfg.nextHop, false); err != nil {
			return cfg, err
		}
	}
	cfg.authservGiven = cfg.hostname != ""
	if cfg.hostname, err = cmdflag.AuthservID(cfg.hostname); err != nil {
		return cfg, err
	}
	if cfg.postmaster != "" {
		if err := smtpsyntax.CheckMailbox(cfg.postmaster, false); err != nil {
			return cfg, cmdflag.Usagef("-postmaster %q: %v", cfg.postmaster, err)
		}
	}
	return cfg, nil
}

// checkHostPort checks a HOST:PORT flag; port 0 (a free port) only where
// zeroOK.
func checkHostPort(name, v string, zeroOK bool) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return cmdflag.Usagef("%s %q: want HOST:PORT: %v", name, v, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 && !zeroOK {
		return cmdflag.Usagef("%s %q: port %q is not a number from 1 to 65535", name, v, port)
	}
	if host == "" && !zeroOK {
		return cmdflag.Usagef("%s %q: no host", name, v)
	}
	return nil
}
