package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// parseOutput is the JSON of "bouncecheck parse". Keys are always present;
// a field the report does not carry is "".
type parseOutput struct {
	ReportingMTA       string           `json:"reporting_mta"`
	OriginalEnvelopeID string           `json:"original_envelope_id"`
	ArrivalDate        string           `json:"arrival_date"`
	Recipients         []parseRecipient `json:"recipients"`
	Returned           dsn.Returned     `json:"returned"`
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

// runParse reads the DSN in the file named by args and prints its fields.
func runParse(args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return usageErrorf("parse: want exactly one argument, FILE (the DSN to read)")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := dsn.Parse(f)
	switch {
	case errors.Is(err, dsn.ErrNotDSN):
		// dsn's text reads "dsn: not a DSN: why"; the contract wants it
		// to start at "not a DSN".
		return errors.New(strings.TrimPrefix(err.Error(), "dsn: "))
	case errors.Is(err, dsn.ErrInvalidField):
		return usageErrorf("parse: %s: %w", args[0], err)
	case err != nil:
		return fmt.Errorf("parse: %s: %w", args[0], err)
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
