package policy

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// Decision is the outcome of Policy.Decide. Fields without meaning for the
// Action are zero.
type Decision struct {
	// Action is what becomes of the failed delivery.
	Action Outcome
	// Reason is the stable code of the rule that decided.
	Reason Reason

	// SPF is the verdict rule 8 used, and SPFSource where it came from;
	// both are zero when no SPF verdict was needed. SPFSource is also
	// empty, with SPF none, when nothing was recorded and SPF could not be
	// evaluated (Policy.NoSPFReevaluation, or no Event.ClientIP).
	SPF       spf.Verdict
	SPFSource Source

	// Reported are the recipients the DSN reports (for a drop or a defer:
	// would report), Suppressed those NOTIFY excluded. Both are nil for a
	// reject.
	Reported   []string
	Suppressed []Suppressed

	// DSN is the report to send, for a bounce, and Notice the postmaster
	// notice, for a drop when Policy.Postmaster is set. Send either with
	// Message.WriteTo: a large DSN is not held in Message.Data but
	// composed as it is written.
	DSN    *Message
	Notice *Message
	// Reject is the SMTP reply to give, for a reject: it refuses the
	// whole transaction at the point of failure (after DATA: the message
	// for every recipient).
	Reject *Reply
	// RetryAt is when to decide again, for a defer.
	RetryAt time.Time
}

// Source says where an SPF verdict came from.
type Source string

// The sources of an SPF verdict.
const (
	// SourceRecorded: recorded at receipt, in the event or in a
	// Received-SPF or Authentication-Results field our host added.
	SourceRecorded Source = "recorded"
	// SourceEvaluated: evaluated at decision time.
	SourceEvaluated Source = "evaluated"
)

// Reply is an SMTP reply (RFC 5321 §4.2) with its enhanced status code
// (RFC 3463, RFC 2034), fitting one reply line of 512 octets
// (RFC 5321 §4.5.3.1.5).
type Reply struct {
	Code     int        // the reply code: 4yz or 5yz
	Enhanced dsn.Status // its class agrees with Code (RFC 3463 §2)
	Text     string     // one line, no controls
}

// String returns the reply as one line: "550 5.1.1 text".
func (r Reply) String() string {
	s := strconv.Itoa(r.Code)
	if !r.Enhanced.IsZero() {
		s += " " + r.Enhanced.String()
	}
	if r.Text != "" {
		s += " " + r.Text
	}
	return s
}

// Suppressed is a recipient NOTIFY excluded from the DSN.
type Suppressed struct {
	Address string
	Reason  SuppressReason
}

// SuppressReason says which NOTIFY rule (RFC 3461 §4.1) excluded a
// recipient.
type SuppressReason string

// The suppression reasons.
const (
	SuppressNever     SuppressReason = "notify-never"      // NOTIFY=NEVER
	SuppressNoFailure SuppressReason = "notify-no-failure" // failed, FAILURE not asked for
	SuppressNoDelay   SuppressReason = "notify-no-delay"   // delayed, DELAY not asked for
	SuppressNoSuccess SuppressReason = "notify-no-success" // delivered, relayed or expanded, SUCCESS not asked for
)

// String explains the decision in one line, for people and logs.
func (d Decision) String() string {
	var b strings.Builder
	b.WriteString(string(d.Action))
	b.WriteString(" (")
	b.WriteString(string(d.Reason))
	b.WriteString("): ")
	b.WriteString(d.why())
	switch {
	case d.DSN != nil:
		b.WriteString("; DSN to <" + d.DSN.RcptTo + ">" + d.DSN.omission())
	case d.Notice != nil:
		b.WriteString("; notice to <" + d.Notice.RcptTo + ">" + d.Notice.omission())
	case d.Reject != nil:
		b.WriteString("; reply " + d.Reject.String())
	case !d.RetryAt.IsZero():
		b.WriteString("; decide again at " + d.RetryAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// LogValue implements slog.LogValuer: the decision as a group of
// attributes.
func (d Decision) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("action", string(d.Action)),
		slog.String("reason", string(d.Reason)),
	}
	if d.SPF.Result != "" {
		attrs = append(attrs, spfAttr(d.SPF, d.SPFSource))
	}
	if d.Reported != nil {
		attrs = append(attrs, slog.Any("reported", d.Reported))
	}
	if len(d.Suppressed) > 0 {
		addrs := make([]string, len(d.Suppressed))
		for i, s := range d.Suppressed {
			addrs[i] = s.Address + " (" + string(s.Reason) + ")"
		}
		attrs = append(attrs, slog.Any("suppressed", addrs))
	}
	if d.DSN != nil {
		attrs = append(attrs, slog.String("dsn_to", d.DSN.RcptTo), slog.Int64("dsn_bytes", d.DSN.Size))
	}
	if d.Notice != nil {
		attrs = append(attrs, slog.String("notice_to", d.Notice.RcptTo))
	}
	if d.Reject != nil {
		attrs = append(attrs, slog.String("reply", d.Reject.String()))
	}
	if !d.RetryAt.IsZero() {
		attrs = append(attrs, slog.Time("retry_at", d.RetryAt))
	}
	return slog.GroupValue(attrs...)
}

// spfAttr is the SPF verdict a decision used, and its source, for logs.
func spfAttr(v spf.Verdict, src Source) slog.Attr {
	return slog.Group("spf",
		slog.String("result", string(v.Result)),
		slog.String("source", string(src)),
		slog.String("domain", v.Domain))
}
