package dsn

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// check validates the report and the options before anything is written,
// and settles what the fields leave open: the DSN's recipient, the
// Message-ID and the boundary.
func (c *composer) check() error {
	r := c.r
	c.global = r.SMTPUTF8 // RFC 6533 §6: the global types for SMTPUTF8 only
	if err := c.checkHeaderFields(); err != nil {
		return err
	}
	if r.ReportingMTA == "" {
		return fieldError("ReportingMTA", "required (RFC 3464 §2.2.2)")
	}
	// The default From and Message-ID name the host too, so an address
	// literal is fine; a literal in an MTA name would read back as its IP.
	if err := checkHost("ReportingMTA", r.ReportingMTA, true); err != nil {
		return err
	}
	if r.DSNGateway != "" {
		if err := checkHost("DSNGateway", r.DSNGateway, true); err != nil {
			return err
		}
	}
	if err := checkMTA("ReceivedFromMTA", r.ReceivedFromMTA); err != nil {
		return err
	}
	if err := checkEnvID("OriginalEnvelopeID", r.OriginalEnvelopeID); err != nil {
		return err
	}
	if err := c.checkExtensions(r.Extensions); err != nil {
		return err
	}
	if len(r.Recipients) == 0 {
		return fieldError("Recipients", "a report needs at least one recipient (RFC 3464 §2.3)")
	}
	for i := range r.Recipients {
		if err := c.checkRecipient(i); err != nil {
			return err
		}
	}
	if err := c.checkStatusSize(); err != nil {
		return err
	}
	return c.checkOptions()
}

func (c *composer) checkHeaderFields() error {
	r := c.r
	rcpt, err := returnPath(r.To, c.global)
	if err != nil {
		return err
	}
	c.rcpt = rcpt
	if err := c.checkText("To", rcpt); err != nil {
		return err
	}
	if r.From != "" {
		if err := c.checkValue("From", r.From); err != nil {
			return err
		}
		// RFC 5322 §3.6.2: one mailbox, with or without a display name.
		if _, err := mail.ParseAddress(r.From); err != nil {
			return fieldError("From", "not a single address (RFC 5322 §3.6.2)")
		}
	}
	if _, err := checkNoControls("Subject", r.Subject); err != nil {
		return err
	}
	if r.MessageID == "" {
		return nil
	}
	id := mailsyntax.Unbracket(r.MessageID)
	if err := checkMessageID("MessageID", id, false); err != nil {
		return err
	}
	c.msgID = c.keepID(id)
	return nil
}

// returnPath strips angle brackets and a source route (RFC 5321 §4.1.2,
// Appendix C) from the return path and checks what is left is a Mailbox:
// the DSN goes to it alone.
func returnPath(s string, utf8OK bool) (string, error) {
	s, err := smtpsyntax.ReversePath(s)
	switch {
	case err != nil:
		return "", inRule("To", err)
	case s == "":
		// RFC 3461 §6.2: never a DSN to the null reverse path.
		return "", fieldError("To", "null return path (RFC 3461 §6.2)")
	}
	return s, checkMailbox("To", s, utf8OK)
}

func (c *composer) checkRecipient(i int) error {
	if err := c.checkRecipientFields(&c.r.Recipients[i]); err != nil {
		return inField("Recipients["+strconv.Itoa(i)+"].", err)
	}
	return nil
}

// inField prefixes the field name of a FieldError: the checks name fields
// relative to the value they check, and only a failing check pays for the
// full name.
func inField(prefix string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		return &FieldError{Err: fe.Err, Field: prefix + fe.Field, Rule: fe.Rule}
	}
	return err
}

// Check applies to rc the rules Compose applies to a recipient of a
// report, SMTPUTF8 or not (Report.SMTPUTF8), so that a caller can refuse
// what Compose would. Its error is a *FieldError naming the field within
// the recipient ("OriginalRecipient", "DiagnosticCode").
func (rc *Recipient) Check(smtputf8 bool) error {
	c := composer{global: smtputf8}
	return c.checkRecipientFields(rc)
}

func (c *composer) checkRecipientFields(rc *Recipient) error {
	if isBlankValue(rc.FinalRecipient.Addr) {
		return fieldError("FinalRecipient", "required, and a blank address is none (RFC 3464 §2.3.2)")
	}
	if err := c.checkAddress("FinalRecipient", rc.FinalRecipient); err != nil {
		return err
	}
	if rc.OriginalRecipient != (Address{}) {
		if err := c.checkAddress("OriginalRecipient", rc.OriginalRecipient); err != nil {
			return err
		}
	}
	if err := CheckActionStatus(rc.Action, rc.Status); err != nil {
		return err
	}
	if err := checkMTA("RemoteMTA", rc.RemoteMTA); err != nil {
		return err
	}
	if rc.DiagnosticType != "" {
		if err := checkAtom("DiagnosticType", rc.DiagnosticType, "RFC 3464 §2.3.6"); err != nil {
			return err
		}
	}
	if err := c.checkValue("DiagnosticCode", rc.DiagnosticCode); err != nil {
		return err
	}
	if err := c.checkValue("FinalLogID", rc.FinalLogID); err != nil {
		return err
	}
	if !rc.WillRetryUntil.IsZero() && rc.Action != ActionDelayed {
		return fieldError("WillRetryUntil", "only for delayed (RFC 3464 §2.3.9)")
	}
	return c.checkExtensions(rc.Extensions)
}

// CheckActionStatus checks the action and that the status class agrees
// with it (RFC 3464 §2.3.3, §2.3.4): failed is 5.x.x, or 4.x.x once
// retries ran out; delayed is 4.x.x; the others are 2.x.x. A zero status
// passes: Compose fills it in from the action. Its error is a *FieldError
// for the field "Action" or "Status".
func CheckActionStatus(a Action, st Status) error {
	var fits bool
	switch a {
	case ActionFailed:
		fits = st.Class == 5 || st.Class == 4
	case ActionDelayed:
		fits = st.Class == 4
	case ActionDelivered, ActionRelayed, ActionExpanded:
		fits = st.Class == 2
	default:
		return fieldError("Action", "unknown action "+quoteASCII(string(a))+" (RFC 3464 §2.3.3)")
	}
	switch {
	case st.IsZero():
		return nil
	case !st.valid():
		return fieldError("Status", "invalid status code (RFC 3463 §2)")
	case !fits:
		return fieldError("Status", "class "+strconv.Itoa(st.Class)+" does not match action "+string(a)+" (RFC 3464 §2.3.4)")
	}
	return nil
}

// statusFor is the Status written for rc: its own, or X.0.0 from its
// action (RFC 3463 §3.1: "other undefined status").
func statusFor(rc *Recipient) Status {
	if !rc.Status.IsZero() {
		return rc.Status
	}
	switch rc.Action {
	case ActionFailed:
		return Status{Class: 5}
	case ActionDelayed:
		return Status{Class: 4}
	}
	return Status{Class: 2}
}

// checkAddress checks a typed address. An rfc822 or utf-8 one may hold
// UTF-8 in any report: a plain report carries it in the 7-bit form of
// RFC 6533 §3, as long as that stays a word that can be folded.
func (c *composer) checkAddress(field string, a Address) error {
	if a.Type != "" {
		if err := checkAtom("Type", a.Type, "RFC 3464 §2.3.2"); err != nil {
			return inField(field+".", err)
		}
	}
	if isBlankValue(a.Addr) {
		// Only OriginalRecipient gets here blank: FinalRecipient is checked first.
		return fieldError(field, "empty or blank address; leave the whole field zero for none (RFC 3464 §2.3.1)")
	}
	if !isUTF8Type(a) {
		return c.checkValue(field, a.Addr)
	}
	if _, err := checkNoControls(field, a.Addr); err != nil {
		return err
	}
	if utf8AddrLen(a.Addr, c.global) > maxWordLen {
		return fieldError(field, "too long once encoded as RFC 6533 §3 says to fold within 998 characters (RFC 5322 §2.1.1)")
	}
	return checkTrimmed(field, a.Addr)
}

// checkAtom checks a type atom (RFC 3464 §2.1) and that it fits on a
// line: no fold can split it (RFC 5322 §2.1.1).
func checkAtom(field, s, rule string) error {
	switch {
	case !isAtom(s):
		return fieldError(field, "not an atom ("+rule+")")
	case len(s) > maxWordLen:
		return tooLongError(field)
	}
	return nil
}

// checkValue is checkText for a value written after "Name: ": it must also
// have no white space at its ends, which header unfolding drops (RFC 5322
// §2.2.3), or it would not read back as written. Compose rejects such a
// value rather than trim it, so Parse(Compose(r)) gives r exactly.
func (c *composer) checkValue(field, s string) error {
	if err := c.checkText(field, s); err != nil {
		return err
	}
	return checkTrimmed(field, s)
}

// checkTrimmed rejects white space at the ends of s: ASCII spaces and, as
// Parse trims them too, Unicode ones such as U+00A0. It does not allocate.
func checkTrimmed(field, s string) error {
	if strings.TrimSpace(s) != s {
		return fieldError(field, "leading or trailing white space, which header unfolding drops (RFC 5322 §2.2.3)")
	}
	return nil
}

// isBlankValue reports whether s is empty or all white space.
func isBlankValue(s string) bool { return strings.TrimSpace(s) == "" }

// checkText checks a value written on a header or status field line: no
// control characters (CR or LF would start a new field, RFC 3464 §2.1,
// RFC 5322 §2.2), valid UTF-8, and no word too long to fold. Non-ASCII
// text needs an RFC 6533 report: message/delivery-status is 7-bit.
func (c *composer) checkText(field, s string) error {
	ascii, err := checkNoControls(field, s)
	if !ascii && err == nil && !c.global {
		return nonASCIIError(field)
	}
	return err
}

func nonASCIIError(field string) error {
	return fieldError(field, "non-ASCII text without SMTPUTF8, in a 7-bit message/delivery-status (RFC 6533 §6)")
}

// checkNoControls is checkText for a value that may be UTF-8 in any
// report, such as the Subject, sent as RFC 2047 encoded words; it reports
// whether s is ASCII. A run of spaces at the end goes unmeasured: the
// Subject is trimmed, other values refuse it.
func checkNoControls(field, s string) (ascii bool, err error) {
	var p piece
	ascii = true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mailsyntax.IsCtl(c) {
			return false, controlError(field, rune(c), "RFC 3464 §2.1")
		}
		ascii = ascii && c < 0x80
		if p = p.next(c == ' ', 1); p.n > maxWordLen && c != ' ' {
			return false, tooLongError(field)
		}
	}
	if ascii {
		return true, nil
	}
	if !utf8.ValidString(s) {
		return false, fieldError(field, "invalid UTF-8 (RFC 6532 §3.1)")
	}
	return false, checkControls(field, s, "RFC 3464 §2.1")
}

// tooLongError refuses a word, or a run of spaces and a word, that no
// fold could bring within a line (RFC 5322 §2.1.1, §2.2.3).
func tooLongError(field string) error {
	return fieldError(field, "a word too long to fold within 998 characters (RFC 5322 §2.1.1)")
}

func checkMTA(field string, m MTA) error {
	// RFC 5321 §4.1.3: no address literal carries a zone, and its text
	// could break the field line.
	if m.IP.Zone() != "" {
		return fieldError(field+".IP", "an IPv6 zone is no part of an address literal (RFC 5321 §4.1.3)")
	}
	if m.Name == "" {
		return nil
	}
	if err := checkHost("Name", m.Name, false); err != nil {
		return inField(field+".", err)
	}
	return nil
}

// maxMsgIDLen is the longest id that fits, in its angle brackets, on one
// line with the longest name it goes under: no fold can split it
// (RFC 5322 §2.1.1, §3.6.4).
const maxMsgIDLen = maxLineLen - len("In-Reply-To: <>")

// checkMessageID checks the id-left "@" id-right inside the angle brackets
// (RFC 5322 §3.6.4): a dot-atom-text, then a dot-atom-text or a
// no-fold-literal; with utf8OK, UTF-8 too (RFC 6532 §3.2), but no
// character isControl reports.
func checkMessageID(field, id string, utf8OK bool) error {
	if len(id) > maxMsgIDLen {
		return fieldError(field, "longer than "+strconv.Itoa(maxMsgIDLen)+" octets, too long for a line (RFC 5322 §2.1.1)")
	}
	if !mailsyntax.IsMsgID(id, utf8OK) {
		return fieldError(field, "not id-left@id-right (RFC 5322 §3.6.4)")
	}
	if !utf8OK {
		return nil // IsMsgID took ASCII alone
	}
	if !utf8.ValidString(id) {
		return fieldError(field, "invalid UTF-8 (RFC 6532 §3.1)")
	}
	return checkControls(field, id, "RFC 5322 §2.2")
}

func (c *composer) checkExtensions(fs []Field) error {
	for i, f := range fs {
		err := c.checkValue("Value", f.Value)
		switch {
		case !isFieldName(f.Name):
			err = fieldError("Name", "not a field name of letters, digits, - and _ (RFC 3464 §2.4)")
		case len(f.Name) > maxWordLen:
			err = tooLongError("Name") // no fold before the colon
		case fieldKey(f.Name) != "":
			// RFC 3464 §2.4: extensions add new names; a known one would
			// read back as that field.
			err = fieldError("Name", quoteASCII(f.Name)+" is a field of RFC 3464, no extension (RFC 3464 §2.4)")
		}
		if err != nil {
			return inField("Extensions["+strconv.Itoa(i)+"].", err)
		}
	}
	return nil
}

// isFieldName reports whether s can name an extension field: an atom
// (RFC 3464 §2.4) of letters, digits, "-" and "_", the names every reader
// takes (net/textproto refuses '"', for one).
func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (c *composer) checkOptions() error {
	o := &c.opts
	switch o.Ret {
	case "", RetFull, RetHdrs:
	default:
		return fieldError("ComposeOptions.Ret", "want FULL, HDRS or empty (RFC 3461 §4.3)")
	}
	switch o.DefaultReturn {
	case "", ReturnNone, ReturnHeaders, ReturnFull:
	default:
		return fieldError("ComposeOptions.DefaultReturn", "want none, headers or full")
	}
	if o.ReturnSizeLimit < 0 {
		return fieldError("ComposeOptions.ReturnSizeLimit", "negative")
	}
	if o.Boundary != "" && !isBoundary(o.Boundary) {
		return fieldError("ComposeOptions.Boundary", "want 1 to 70 bchars (RFC 2046 §5.1.1)")
	}
	if c.msgID == nil && o.MessageID != nil {
		if id := mailsyntax.Unbracket(o.MessageID()); id != "" {
			if err := checkMessageID("ComposeOptions.MessageID", id, false); err != nil {
				return err
			}
			c.msgID = c.keepID(id)
		}
	}
	c.makeIdentifiers()
	return nil
}

// isBoundary reports whether s is a boundary of bcharsnospace (RFC 2046
// §5.1.1); spaces, though allowed inside, are left out for simplicity.
func isBoundary(s string) bool {
	if len(s) > 70 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("'()+_,-./:=?", c) >= 0) {
			return false
		}
	}
	return s != ""
}
