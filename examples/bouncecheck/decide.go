package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// decisionJSON is the output of `bouncecheck decide` (DESIGN.md); keys
// without meaning for the action are omitted.
type decisionJSON struct {
	Action     string           `json:"action"`
	Reason     string           `json:"reason"`
	SPF        *spfSourceJSON   `json:"spf,omitempty"`
	Reported   []string         `json:"reported,omitempty"`
	Suppressed []suppressedJSON `json:"suppressed,omitempty"`
	DSN        *messageJSON     `json:"dsn,omitempty"`
	Notice     *messageJSON     `json:"notice,omitempty"`
	Reject     *rejectJSON      `json:"reject,omitempty"`
	RetryAt    string           `json:"retry_at,omitempty"`
}

type spfSourceJSON struct {
	Result string `json:"result"`
	Source string `json:"source,omitempty"`
}

type suppressedJSON struct {
	Address string `json:"address"`
	Reason  string `json:"reason"`
}

type messageJSON struct {
	MailFrom string `json:"mail_from"`
	RcptTo   string `json:"rcpt_to"`
	Bytes    int64  `json:"bytes"`
}

type rejectJSON struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
}

// decideAbout is what `bouncecheck decide -h` says it does.
const decideAbout = `Decides whether the failed delivery of the event file is bounced, dropped,
deferred or rejected, and prints the decision as JSON. FILE "-" is stdin.
spf.source says where the SPF result came from: "recorded" (the event, or
a header field our host added at receipt) or "evaluated"; it is left out,
with result none, when nothing was recorded and SPF could not be evaluated
(reevaluate_spf false, or no client_ip).
`

// runDecide implements `bouncecheck decide -event FILE [-policy FILE]
// [-dns ADDR | -zone FILE] [-now RFC3339] [-dsn OUT] [-notice OUT]`.
func runDecide(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("decide", flag.ContinueOnError)
	eventFile := fs.String("event", "", "the failed-delivery event, JSON (- for stdin)")
	policyFile := fs.String("policy", "", "the policy, JSON (- for stdin); defaults when absent")
	dnsAddr := fs.String("dns", "", "DNS server to evaluate SPF with, host[:port]")
	zoneFile := fs.String("zone", "", "RFC 1035 zone file to evaluate SPF with")
	nowFlag := fs.String("now", "", "the current time, RFC 3339")
	dsnOut := fs.String("dsn", "", "write the DSN (a bounce) to this file; without one, remove the file")
	noticeOut := fs.String("notice", "", "write the postmaster notice (a drop) to this file; without one, remove the file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErrorf("decide: unexpected argument %q", fs.Arg(0))
	case *eventFile == "":
		return usageErrorf("decide: -event FILE is required")
	case *eventFile == "-" && *policyFile == "-":
		return usageErrorf("decide: -event and -policy cannot both read stdin")
	case *dsnOut != "" && filepath.Clean(*dsnOut) == filepath.Clean(*noticeOut):
		// One message would remove or overwrite the other.
		return usageErrorf("decide: -dsn and -notice name the same file")
	}

	pol := &policy.Policy{}
	if *policyFile != "" {
		var pj policyJSON
		if err := readJSON(*policyFile, "policy", stdin, &pj); err != nil {
			return err
		}
		var err error
		if pol, err = pj.toPolicy(); err != nil {
			return err
		}
	}
	if *nowFlag != "" {
		now, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageErrorf("decide: -now: %q is not an RFC 3339 date", *nowFlag)
		}
		pol.Now = func() time.Time { return now }
	}
	// Without -dns or -zone, the policy's default checker asks the system
	// resolvers, and only if the decision needs SPF.
	if *dnsAddr != "" || *zoneFile != "" {
		res, err := newResolver(*dnsAddr, *zoneFile)
		if err != nil {
			return err
		}
		pol.Checker = &spf.Checker{Resolver: res, Receiver: pol.ReportingMTA, Now: pol.Now}
	}

	var ej eventJSON
	if err := readJSON(*eventFile, "event", stdin, &ej); err != nil {
		return err
	}
	dir := "."
	if *eventFile != "-" {
		dir = filepath.Dir(*eventFile)
	}
	ev, err := ej.toEvent(dir)
	if err != nil {
		return err
	}

	d, err := pol.Decide(context.Background(), ev)
	if errors.Is(err, policy.ErrInvalidEvent) {
		return invalidInput("event", err) // a field dsn.Compose rejects
	}
	if err != nil {
		return err
	}
	if err := writeMessage("-dsn", *dsnOut, d.DSN); err != nil {
		return err
	}
	if err := writeMessage("-notice", *noticeOut, d.Notice); err != nil {
		return err
	}
	return writeJSON(stdout, decisionToJSON(d))
}

// writeMessage writes m's content to the file name given with flagName. With
// no message, it removes the file an earlier run may have left, so that
// the file is there exactly when this decision made the message; what is
// not a regular file, such as /dev/null, is left alone.
func writeMessage(flagName, name string, m *policy.Message) error {
	if name == "" {
		return nil
	}
	if m != nil {
		return fileError(flagName, writeMessageFile(name, m))
	}
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fileError(flagName, err)
	case !fi.Mode().IsRegular():
		return nil
	}
	return fileError(flagName, os.Remove(name))
}

// writeMessageFile writes m to the file name as os.WriteFile would, through
// m.WriteTo: a large message is composed as it is written.
func writeMessageFile(name string, m *policy.Message) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = m.WriteTo(f)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	return err
}

// fileError names the flag of an output file that could not be written:
// a failure, exit status 1.
func fileError(flagName string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", flagName, err)
	}
	return nil
}

func decisionToJSON(d policy.Decision) decisionJSON {
	out := decisionJSON{
		Action:   string(d.Action),
		Reason:   string(d.Reason),
		Reported: d.Reported,
		DSN:      messageToJSON(d.DSN),
		Notice:   messageToJSON(d.Notice),
	}
	if d.SPF.Result != "" {
		out.SPF = &spfSourceJSON{Result: string(d.SPF.Result), Source: string(d.SPFSource)}
	}
	for _, s := range d.Suppressed {
		out.Suppressed = append(out.Suppressed, suppressedJSON{Address: s.Address, Reason: string(s.Reason)})
	}
	if d.Reject != nil {
		out.Reject = &rejectJSON{Code: d.Reject.Code, Enhanced: d.Reject.Enhanced.String(), Text: d.Reject.Text}
	}
	if !d.RetryAt.IsZero() {
		out.RetryAt = d.RetryAt.UTC().Format(time.RFC3339)
	}
	return out
}

func messageToJSON(m *policy.Message) *messageJSON {
	if m == nil {
		return nil
	}
	return &messageJSON{MailFrom: m.MailFrom, RcptTo: m.RcptTo, Bytes: m.Size}
}
