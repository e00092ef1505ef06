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

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

// decisionJSON is the output of `bouncecheck decide` (docs/design.md); keys
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
	pf := newPolicyFlags(fs)
	dsnOut := fs.String("dsn", "", "write the DSN (a bounce) to this file; without one, remove the file")
	noticeOut := fs.String("notice", "", "write the postmaster notice (a drop) to this file; without one, remove the file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return cmdflag.Usagef("decide: unexpected argument %q", fs.Arg(0))
	case *eventFile == "":
		return cmdflag.Usagef("decide: -event FILE is required")
	case *eventFile == "-" && *pf.file == "-":
		return cmdflag.Usagef("decide: -event and -policy cannot both read stdin")
	case *dsnOut != "" && filepath.Clean(*dsnOut) == filepath.Clean(*noticeOut):
		// One message would remove or overwrite the other.
		return cmdflag.Usagef("decide: -dsn and -notice name the same file")
	}

	pol, err := pf.load("decide", stdin)
	if err != nil {
		return err
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
