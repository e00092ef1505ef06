// Package dsn composes and parses delivery status notifications: the
// multipart/report messages of RFC 3464 and RFC 6522 that tell a sender what
// became of a message, with the SMTP parameters of RFC 3461 (NOTIFY, RET,
// ORCPT, ENVID), the enhanced status codes of RFC 3463 and the
// internationalised forms of RFC 6533.
//
// A Report is one plain value: Compose writes it as a message, Parse reads a
// message back into it, and Parse(Compose(r)) gives r again, with the
// defaults Compose fills in and these normalisations: From comes back as
// its address alone, the MessageID without angle brackets, To without a
// source route; type atoms come back lowercased, and an rfc822 address
// holding UTF-8 as type utf-8 (RFC 6533 §3); Text with LF line breaks,
// ending in one; the Subject trimmed; dates to the second, in their zone
// or, for a zone offset of odd seconds, in UTC; DiagnosticType "smtp" when
// empty. Compose refuses what could not read back as written.
package dsn

import (
	"net/netip"
	"time"
)

// Action is the action a reporting MTA took for a recipient (RFC 3464 §2.3.3).
type Action string

// The actions of RFC 3464 §2.3.3.
const (
	ActionFailed    Action = "failed"
	ActionDelayed   Action = "delayed"
	ActionDelivered Action = "delivered"
	ActionRelayed   Action = "relayed"
	ActionExpanded  Action = "expanded"
)

// ReturnedContent says how much of the original message a report carries.
type ReturnedContent string

// What a report returns of the original message (RFC 3461 §4.3, RFC 3462 §2).
const (
	ReturnNone    ReturnedContent = "none"    // nothing
	ReturnHeaders ReturnedContent = "headers" // text/rfc822-headers or message/global-headers
	ReturnFull    ReturnedContent = "full"    // message/rfc822 or message/global
)

// Address is a typed address as in Original-Recipient and Final-Recipient
// (RFC 3464 §2.3.1, §2.3.2): an address type such as "rfc822" or "utf-8"
// (RFC 6533 §3) and the address itself, decoded.
type Address struct {
	Type string // "rfc822" when empty
	Addr string
}

// MTA names a mail transfer agent in Received-From-MTA and Remote-MTA
// (RFC 3464 §2.2.4, §2.3.5), as a host name with, where known, its IP
// address, written "dns; name (ip)". Name is a host name as for
// Report.ReportingMTA, never an address literal or an IP address: those
// go in IP, without a zone, and an MTA with an IP alone is written as an
// address literal, "dns; [192.0.2.1]" or "dns; [IPv6:2001:db8::1]"
// (RFC 5321 §4.1.3).
type MTA struct {
	Name string
	IP   netip.Addr
}

// Field is an extension field (RFC 3464 §2.4, "X-" and others unknown to
// this package), kept in the order it appeared.
type Field struct {
	Name  string
	Value string
}

// Report is a delivery status notification for one original message and
// one or more of its recipients.
//
// Field values are written after "Name: " on header lines, where header
// unfolding drops white space at their ends (RFC 5322 §2.2.3). So that a
// report reads back as written, Compose refuses such white space in
// identifiers, addresses, DiagnosticCode, FinalLogID and extension field
// values, as it refuses control characters (C0, C1, DEL) and the line
// separators U+2028 and U+2029; it trims only the Subject. Inner runs of
// spaces are kept exactly: folding only breaks a line before an existing
// space. So that every line stays within 998 octets (RFC 5322 §2.1.1),
// Compose refuses a word over 900 bytes, counting the spaces before it
// but one, and a type atom or extension field name that long.
type Report struct {
	// The DSN's own header. From defaults to postmaster@ReportingMTA, Date to
	// the composing clock's now, MessageID to a generated one, Subject to a
	// summary of the recipients' actions. To is the return path of the
	// original message: the only recipient of the DSN; Compose strips angle
	// brackets and a source route from it, refuses the null path and wants
	// a Mailbox of RFC 5321 §4.1.2 (UTF-8 only with SMTPUTF8). From must be
	// one address (RFC 5322 §3.6.2), MessageID id-left@id-right with or
	// without angle brackets (RFC 5322 §3.6.4) of at most 983 octets, so
	// that "In-Reply-To: <id>" fits on a line. The original's Message-ID
	// goes in In-Reply-To and References when it keeps the same rules and
	// is the original's only one; else they are left out. Compose trims
	// white space at the Subject's ends and writes it as RFC 2047 encoded
	// words when it is not ASCII or holds "=?".
	From      string
	To        string
	Subject   string
	Date      time.Time
	MessageID string

	// Text is the human-readable first part (RFC 6522 §3). When empty,
	// Compose writes Summary(r): one line per recipient with its action
	// and reason, for as many recipients as fit in about 16 KiB.
	// Compose takes CR, LF and CRLF each as one line break, writes it as
	// CRLF and ends the text with one; Parse gives the text back with LF
	// line breaks. So Parse(Compose(r)).Text is r.Text with CRLF and CR
	// turned into LF, and an LF added at the end if it had none. Parse
	// keeps 64 KiB of the part as written, so Compose refuses a Text that
	// would be longer once encoded.
	Text string

	// Per-message fields, RFC 3464 §2.2.
	OriginalEnvelopeID string    // ENVID, decoded from xtext (§2.2.1)
	ReportingMTA       string    // host name (RFC 1035 §2.3.1) or address literal, type dns (§2.2.2)
	DSNGateway         string    // host name or address literal of a gateway from another report format, type dns (§2.2.3)
	ReceivedFromMTA    MTA       // the client the message came from (§2.2.4)
	ArrivalDate        time.Time // §2.2.5
	Extensions         []Field   // other per-message fields, in order; no RFC 3464 names (§2.4)

	// Recipients are the recipients reported on, one group of fields each
	// (RFC 3464 §2.3). Compose refuses a report whose delivery-status part
	// they make longer than the 2 MiB Parse reads: some 1800 recipients
	// with replies of a thousand bytes, 3300 with replies of 500. Report
	// more in several DSNs.
	Recipients []Recipient

	// SMTPUTF8 says the original was sent with SMTPUTF8 (RFC 6531), and
	// selects the RFC 6533 types: message/global-delivery-status and
	// message/global or message/global-headers for the returned content.
	// Compose uses them exactly when it is set, and Parse sets it exactly
	// when it reads them. Without it, non-ASCII text is refused in every
	// field but the Subject, the Text and the rfc822 and utf-8 addresses
	// of recipients, which go in the 7-bit form of RFC 6533 §3.
	SMTPUTF8 bool

	// Returned is how much of the original the report carries. Parse fills
	// it; Compose ignores it, decides from its options and the original,
	// and reports its decision in Envelope.Returned.
	Returned ReturnedContent

	// ReturnedHeader is the header of the returned original, when any:
	// its fields in order, as written, values unfolded as net/mail does.
	// It matches a report to the message it reports on (Message-ID,
	// Subject, From), and its trace fields, topmost first, tell where the
	// original came from (RFC 5321 §4.4). Parse fills it, reading at most
	// 64 KiB of the header (later fields are left out); it is nil when
	// nothing was returned. Compose ignores it and returns the original's
	// own header.
	ReturnedHeader Header
}

// Recipient holds the per-recipient fields of RFC 3464 §2.3.
//
// Compose writes Diagnostic-Code whenever DiagnosticCode is set, with or
// without RemoteMTA, and shows it in the default text. RFC 3464 §2.3.6
// wants an smtp one only when a remote MTA answered: setting it only
// then, with RemoteMTA, is the caller's part. A local failure keeps its
// reason under a type of its own, such as "x-local" or "X-Postfix".
type Recipient struct {
	OriginalRecipient Address   // ORCPT, only when given (§2.3.1)
	FinalRecipient    Address   // the envelope recipient, case kept (§2.3.2)
	Action            Action    // §2.3.3
	Status            Status    // §2.3.4; Compose writes X.0.0 from Action when zero
	RemoteMTA         MTA       // only when a remote MTA answered (§2.3.5)
	DiagnosticType    string    // type of DiagnosticCode, an atom; "smtp" when empty (§2.3.6)
	DiagnosticCode    string    // the remote reply, lines joined by a space, or a local reason
	LastAttemptDate   time.Time // §2.3.7
	FinalLogID        string    // §2.3.8
	WillRetryUntil    time.Time // only for delayed (§2.3.9)
	Extensions        []Field   // other per-recipient fields, in order; no RFC 3464 names (§2.4)
}
