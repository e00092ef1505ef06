package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
)

// parseOutput is the JSON of "bouncecheck parse". Keys are always present;
// a field the report does not carry is "".
type parseOutput struct {
	ReportingMTA       string              `json:"reporting_mta"`
	OriginalEnvelopeID string              `json:"original_envelope_id"`
	ArrivalDate        string              `json:"arrival_date"`
	Recipients         []parseRecipient    `json:"recipients"`
	Returned           dsn.ReturnedContent `json:"returned"`
}

type parseRecipient struct {
	FinalRecipient     string `json:"final_recipient"`
	FinalRecipientType string `json:"final_recipient_type"`
	OriginalRecipient  string `json:"original_recipient"`
	Action             string `json:"action"`
	Status             string `json:"status"`
	RemoteMTA          string `json:"remote_mta"`
	DiagnosticCode     string `json:"diagnostic_code"`
	LastAttemptDate    string `json:"last_attempt_date"`
	WillRetryUntil     string `json:"will_retry_until"`
}

// parseAbout is what `bouncecheck parse -h` says it does.
const parseAbout = `Parses the delivery status notification (RFC 3464) in FILE ("-": stdin)
and prints its fields as JSON. A message that is not a DSN: exit status 1,
"not a DSN: ..." on stderr; a report that breaks RFC 3464: exit status 2.
`

// runParse reads the DSN in the file named by args and prints its fields.
func runParse(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	name := fs.Arg(0)
	if fs.NArg() != 1 || name == "" {
		return cmdflag.Usagef("parse: want exactly one argument, FILE (the DSN to read; - for stdin)")
	}
	f, err := openInput(name, stdin)
	if err != nil {
		return cmdflag.Usagef("parse: %v", err)
	}
	defer f.Close()
	r, err := dsn.Parse(f)
	switch {
	case errors.Is(err, dsn.ErrNotDSN):
		// dsn's text reads "dsn: not a DSN: why"; the contract wants it
		// to start at "not a DSN", and exit status 1.
		return errors.New(strings.TrimPrefix(err.Error(), "dsn: "))
	case err != nil:
		// A report that breaks RFC 3464, or a file that cannot be read.
		return cmdflag.Usagef("parse: %s: %v", name, err)
	}
	return writeJSON(stdout, newParseOutput(r))
}

func newParseOutput(r *dsn.Report) parseOutput {
	out := parseOutput{
		ReportingMTA:       r.ReportingMTA,
		OriginalEnvelopeID: r.OriginalEnvelopeID,
		ArrivalDate:        jsonDate(r.ArrivalDate),
		Recipients:         make([]parseRecipient, 0, len(r.Recipients)),
		Returned:           r.Returned,
	}
	for _, rc := range r.Recipients {
		out.Recipients = append(out.Recipients, parseRecipient{
			FinalRecipient:     rc.FinalRecipient.Addr,
			FinalRecipientType: rc.FinalRecipient.Type,
			OriginalRecipient:  rc.OriginalRecipient.Addr,
			Action:             string(rc.Action),
			Status:             rc.Status.String(),
			RemoteMTA:          mtaName(rc.RemoteMTA),
			DiagnosticCode:     rc.DiagnosticCode,
			LastAttemptDate:    jsonDate(rc.LastAttemptDate),
			WillRetryUntil:     jsonDate(rc.WillRetryUntil),
		})
	}
	return out
}

// jsonDate writes a date as RFC 3339, or "" when the report has none.
func jsonDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// mtaName is the MTA's host name, or its address when only that is known.
func mtaName(m dsn.MTA) string {
	if m.Name == "" && m.IP.IsValid() {
		return m.IP.String()
	}
	return m.Name
}
