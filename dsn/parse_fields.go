package dsn

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// statusReader turns the fields of a message/delivery-status body into a
// Report: one per-message group, then one group per recipient (RFC 3464
// §2.1), read leniently as real MTAs write them.
type statusReader struct {
	r        *Report
	rcpt     int  // index of the current recipient in r.Recipients, -1 for none
	rcptData bool // the current recipient has a per-recipient field
	fields   int  // fields in the current group
	pastMsg  bool // the per-message group has ended
	global   bool // message/global-delivery-status: UTF-8 allowed (RFC 6533 §6.2)
	folded   []byte
}

// readDeliveryStatus parses a decoded delivery-status body into r.
func readDeliveryStatus(body []byte, r *Report, global bool) error {
	s := statusReader{r: r, rcpt: -1, global: global}
	var name, value []byte // the field being read, value unfolded later
	own := false           // value lives in s.folded, not in body
	flush := func() error {
		if name == nil {
			return nil
		}
		err := s.field(name, mailsyntax.Unfold(value))
		name, value, own = nil, nil, false
		return err
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i+1], body[i+1:]
		} else {
			body = nil
		}
		switch {
		case isBlank(line):
			if err := flush(); err != nil {
				return err
			}
			if err := s.endGroup(); err != nil {
				return err
			}
		case mailsyntax.IsWSP(line[0]):
			// RFC 5322 §2.2.3: a continuation line of a folded field.
			if name != nil {
				if !own {
					// Copy before appending: value still points into body.
					value, own = append(s.folded[:0], value...), true
				}
				value = append(value, line...)
				s.folded = value
			}
		default:
			if err := flush(); err != nil {
				return err
			}
			n, v, ok := mailsyntax.SplitField(trimEOL(line))
			if !ok {
				return fieldError("delivery-status", "line "+strconv.Quote(string(trimEOL(line)))+" is no header field (RFC 3464 §2.1)")
			}
			name, value = n, v
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := s.endGroup(); err != nil {
		return err
	}
	if len(r.Recipients) == 0 {
		return fieldError("delivery-status", "no per-recipient fields (RFC 3464 §2.1)")
	}
	return nil
}

// Per-recipient field names (RFC 3464 §2.3).
const (
	fOriginalRecipient = "original-recipient"
	fFinalRecipient    = "final-recipient"
	fAction            = "action"
	fStatus            = "status"
	fRemoteMTA         = "remote-mta"
	fDiagnosticCode    = "diagnostic-code"
	fLastAttemptDate   = "last-attempt-date"
	fFinalLogID        = "final-log-id"
	fWillRetryUntil    = "will-retry-until"
)

// Per-message field names (RFC 3464 §2.2) Parse reads into Report fields.
const (
	fOriginalEnvelopeID = "original-envelope-id"
	fReportingMTA       = "reporting-mta"
	fDSNGateway         = "dsn-gateway"
	fReceivedFromMTA    = "received-from-mta"
	fArrivalDate        = "arrival-date"
)

// knownFields are the names fieldKey recognises: Parse reads them into
// Report fields, and Compose refuses them as extension names.
var knownFields = [...]string{
	fOriginalEnvelopeID, fReportingMTA, fDSNGateway, fReceivedFromMTA, fArrivalDate,
	fOriginalRecipient, fFinalRecipient, fAction, fStatus, fRemoteMTA,
	fDiagnosticCode, fLastAttemptDate, fFinalLogID, fWillRetryUntil,
}

// fieldKey returns the lowercase name of a field this package knows, or ""
// for an extension field. Field names are case-insensitive (RFC 5322 §1.2.2).
func fieldKey[T string | []byte](name T) string {
	for _, k := range knownFields {
		if len(k) == len(name) && equalFoldASCII(k, name) {
			return k
		}
	}
	return ""
}

// equalFoldASCII reports whether lower, in lowercase, equals s in any
// case; s has the same length.
func equalFoldASCII[T string | []byte](lower string, s T) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isRecipientField(key string) bool {
	switch key {
	case fOriginalRecipient, fFinalRecipient, fAction, fStatus, fRemoteMTA,
		fDiagnosticCode, fLastAttemptDate, fFinalLogID, fWillRetryUntil:
		return true
	}
	return false
}

// field applies one unfolded field to the report.
func (s *statusReader) field(name, value []byte) error {
	lower := fieldKey(name)
	if s.rcpt >= 0 && s.startsAnother(lower) {
		// Some MTAs leave out the blank line between recipients.
		if err := s.endGroup(); err != nil {
			return err
		}
	}
	s.fields++
	if s.rcpt < 0 && (s.pastMsg || isRecipientField(lower)) {
		s.startRecipient()
	}
	v := string(value)
	if s.rcpt < 0 {
		if !s.messageField(lower, v) {
			s.r.Extensions = append(s.r.Extensions, Field{Name: string(name), Value: v})
		}
		return nil
	}
	if !isRecipientField(lower) && s.messageField(lower, v) {
		return nil
	}
	rc := &s.r.Recipients[s.rcpt]
	s.rcptData = true
	var err error
	switch lower {
	case fOriginalRecipient:
		rc.OriginalRecipient, err = s.address("Original-Recipient", v)
	case fFinalRecipient:
		rc.FinalRecipient, err = s.address("Final-Recipient", v)
	case fAction:
		rc.Action, err = parseAction(v)
	case fStatus:
		rc.Status, err = parseStatusField(v)
	case fRemoteMTA:
		rc.RemoteMTA = parseMTA(v)
	case fDiagnosticCode:
		// RFC 3464 §2.3.6: "type; text"; the text is unstructured, so its
		// parentheses are no comments.
		typ, text, ok := splitTyped(v)
		if !ok {
			typ = ""
		}
		rc.DiagnosticType, rc.DiagnosticCode = typ, text
	case fLastAttemptDate:
		rc.LastAttemptDate = parseDate(v)
	case fFinalLogID:
		rc.FinalLogID = strings.TrimSpace(v)
	case fWillRetryUntil:
		rc.WillRetryUntil = parseDate(v)
	default:
		rc.Extensions = append(rc.Extensions, Field{Name: string(name), Value: v})
	}
	return err
}

// messageField applies a per-message field (RFC 3464 §2.2) and reports
// whether name is one. Inside a recipient group it only fills what the
// per-message group left empty.
func (s *statusReader) messageField(lower, v string) bool {
	r := s.r
	switch lower {
	case fOriginalEnvelopeID:
		// RFC 3464 §2.2.1: the ENVID as given, already xtext-decoded.
		if r.OriginalEnvelopeID == "" {
			r.OriginalEnvelopeID = v
		}
	case fReportingMTA:
		// RFC 3464 §2.2.2: "dns; host"; some MTAs leave out the type.
		if r.ReportingMTA == "" {
			r.ReportingMTA = mtaName(v)
		}
	case fDSNGateway:
		if r.DSNGateway == "" {
			r.DSNGateway = mtaName(v) // §2.2.3
		}
	case fReceivedFromMTA:
		if r.ReceivedFromMTA == (MTA{}) {
			r.ReceivedFromMTA = parseMTA(v)
		}
	case fArrivalDate:
		if r.ArrivalDate.IsZero() {
			r.ArrivalDate = parseDate(v)
		}
	default:
		return false
	}
	return true
}

// mtaName reads "dns; host" without comments; the type may be missing.
func mtaName(v string) string {
	plain, _ := mailsyntax.StripComments(v)
	_, name, _ := splitTyped(plain)
	return name
}

func (s *statusReader) startRecipient() {
	s.r.Recipients = append(s.r.Recipients, Recipient{})
	s.rcpt = len(s.r.Recipients) - 1
	s.rcptData = false
}

// startsAnother reports whether a field cannot belong to the current
// recipient because it already has that address. Either address may come
// first: Postfix writes Final-Recipient before Original-Recipient.
func (s *statusReader) startsAnother(lower string) bool {
	rc := &s.r.Recipients[s.rcpt]
	switch lower {
	case fFinalRecipient:
		return rc.FinalRecipient != Address{}
	case fOriginalRecipient:
		return rc.OriginalRecipient != Address{}
	}
	return false
}

// endGroup closes a group of fields at a blank line and checks the fields
// RFC 3464 §2.3 requires of a recipient. Runs of blank lines make empty
// groups, and a group of per-message fields only (a blank line inside the
// per-message group) makes no recipient.
func (s *statusReader) endGroup() error {
	if s.fields == 0 {
		return nil
	}
	s.fields = 0
	s.pastMsg = true
	n := s.rcpt
	if n < 0 {
		return nil
	}
	s.rcpt = -1
	if !s.rcptData {
		s.r.Recipients = s.r.Recipients[:n]
		return nil
	}
	rc := &s.r.Recipients[n]
	field := "Recipients[" + strconv.Itoa(n) + "]"
	switch {
	case rc.FinalRecipient.Addr == "":
		return fieldError(field+".Final-Recipient", "missing (RFC 3464 §2.3.2)")
	case rc.Action == "":
		return fieldError(field+".Action", "missing (RFC 3464 §2.3.3)")
	case rc.Status.IsZero():
		return fieldError(field+".Status", "missing (RFC 3464 §2.3.4)")
	}
	return nil
}

// address parses "addr-type; address" (RFC 3464 §2.3.1, §2.3.2). The type
// is lowercased; rfc822 is assumed when absent, as some MTAs leave it out.
// The address is *text, not structured: parentheses in it are no comments
// and it is kept as written. utf-8 addresses are decoded from their
// \x{HEX} form (RFC 6533 §3).
func (s *statusReader) address(name, v string) (Address, error) {
	typ, addr, ok := splitTyped(v)
	if !ok {
		typ = "rfc822"
	}
	if addr == "" {
		return Address{}, fieldError(name, "no address (RFC 3464 §2.3.2)")
	}
	if typ == "utf-8" {
		dec, err := decodeUTF8Addr(name, addr)
		if err != nil {
			return Address{}, err
		}
		addr = dec
	} else if !s.global && !mailsyntax.IsASCII(addr) {
		return Address{}, fieldError(name, "8-bit address outside message/global-delivery-status (RFC 3464 §2.1, RFC 6533 §6.2)")
	}
	return Address{Type: typ, Addr: addr}, nil
}
