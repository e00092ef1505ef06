package dsn

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// Notify is the NOTIFY parameter of RCPT TO (RFC 3461 §4.1): the set of
// events the sender wants reported for a recipient. The zero value means
// the parameter was not given; the MTA then reports failures (and may
// report delays), RFC 3461 §4.1.
type Notify uint8

// The NOTIFY keywords (RFC 3461 §4.1). NotifyNever excludes the others.
const (
	NotifyNever Notify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

var notifyKeywords = [...]struct {
	flag Notify
	word string
}{
	{NotifyNever, "NEVER"},
	{NotifySuccess, "SUCCESS"},
	{NotifyFailure, "FAILURE"},
	{NotifyDelay, "DELAY"},
}

// ParseNotify parses a NOTIFY parameter value such as "FAILURE,DELAY".
// Keywords are case-insensitive; NEVER must stand alone and a keyword may
// not repeat (RFC 3461 §4.1). The empty string gives the zero Notify (the
// parameter was not given).
func ParseNotify(s string) (Notify, error) {
	if s == "" {
		return 0, nil
	}
	var n Notify
	for word := range strings.SplitSeq(s, ",") {
		flag := notifyFlag(word)
		switch {
		case flag == 0:
			return 0, fieldError("NOTIFY", "unknown keyword "+quoteASCII(word)+" (RFC 3461 §4.1)")
		case n&flag != 0:
			return 0, fieldError("NOTIFY", "keyword "+quoteASCII(word)+" repeated (RFC 3461 §4.1)")
		}
		n |= flag
	}
	// RFC 3461 §4.1: "NEVER" or a list of the other keywords.
	if n&NotifyNever != 0 && n != NotifyNever {
		return 0, fieldError("NOTIFY", "NEVER must stand alone (RFC 3461 §4.1)")
	}
	return n, nil
}

func notifyFlag(word string) Notify {
	for _, k := range notifyKeywords {
		if strings.EqualFold(word, k.word) {
			return k.flag
		}
	}
	return 0
}

// String returns the parameter value, keywords in RFC order
// ("SUCCESS,FAILURE,DELAY" or "NEVER"), or "" for the zero Notify.
func (n Notify) String() string {
	var b strings.Builder
	for _, k := range notifyKeywords {
		if n&k.flag != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k.word)
		}
	}
	return b.String()
}

// Ret is the RET parameter of MAIL FROM (RFC 3461 §4.3): how much of the
// message a failure report should return. "" means the parameter was not
// given.
type Ret string

// The RET values of RFC 3461 §4.3.
const (
	RetFull Ret = "FULL"
	RetHdrs Ret = "HDRS"
)

// ParseRet parses a RET parameter value, case-insensitively (RFC 3461 §4.3).
// The empty string gives "" (the parameter was not given).
func ParseRet(s string) (Ret, error) {
	switch {
	case s == "":
		return "", nil
	case strings.EqualFold(s, string(RetFull)):
		return RetFull, nil
	case strings.EqualFold(s, string(RetHdrs)):
		return RetHdrs, nil
	}
	return "", fieldError("RET", "want FULL or HDRS, not "+quoteASCII(s)+" (RFC 3461 §4.3)")
}

// RFC 3461 §4.2 and §4.4: limits on the parameter values.
const (
	maxORCPT = 500
	maxEnvID = 100
)

// ParseORCPT parses an ORCPT parameter value, "addr-type;xtext" (RFC 3461
// §4.2), into its address type (lowercased) and its decoded address. The
// address of the "utf-8" type uses the \x{HEX} escapes of RFC 6533 §3
// instead of xtext. The value may be at most 500 characters, and the
// decoded address may hold no control character or Unicode line
// separator. The empty string gives the zero Address (the parameter was
// not given).
func ParseORCPT(s string) (Address, error) {
	if s == "" {
		return Address{}, nil
	}
	if len(s) > maxORCPT {
		return Address{}, fieldError("ORCPT", "longer than 500 characters (RFC 3461 §4.2)")
	}
	typ, addr, ok := strings.Cut(s, ";")
	if !ok || !isAtom(typ) {
		return Address{}, fieldError("ORCPT", "want addr-type;xtext (RFC 3461 §4.2)")
	}
	if addr == "" {
		return Address{}, fieldError("ORCPT", "empty address (RFC 3461 §4.2)")
	}
	typ = strings.ToLower(typ)
	var err error
	if typ == "utf-8" {
		addr, err = decodeUTF8Addr("ORCPT", addr)
	} else {
		addr, err = decodeXtext("ORCPT", addr)
	}
	if err != nil {
		return Address{}, err
	}
	if !utf8.ValidString(addr) {
		return Address{}, fieldError("ORCPT", "address is not valid UTF-8 (RFC 6533 §3)")
	}
	// The decoded address goes into Original-Recipient: no controls or
	// line separators (RFC 3464 §2.1: a field is one logical line), and
	// nothing that unfolding would lose.
	if err := checkControls("ORCPT", addr, "RFC 3464 §2.3.1"); err != nil {
		return Address{}, err
	}
	if isBlankValue(addr) {
		return Address{}, fieldError("ORCPT", "empty or blank address (RFC 3461 §4.2)")
	}
	if err := checkTrimmed("ORCPT", addr); err != nil {
		return Address{}, err
	}
	return Address{Type: typ, Addr: addr}, nil
}

// ParseEnvID parses an ENVID parameter value (RFC 3461 §4.4): xtext,
// decoded, and then checked as CheckEnvID checks it, so that
// ParseEnvID(EncodeXtext(id)) gives id back exactly when CheckEnvID(id)
// passes. The 100 characters of RFC 3461 §4.4 are counted decoded, as
// Postfix counts them: a value of spaces, each "+20", may be up to 300
// characters as xtext. The empty string gives "" (the parameter was not
// given).
func ParseEnvID(s string) (string, error) {
	if len(s) > 3*maxEnvID {
		return "", fieldError("ENVID", "longer than 100 characters (RFC 3461 §4.4)")
	}
	id, err := decodeXtext("ENVID", s)
	if err != nil {
		return "", err
	}
	if err := CheckEnvID(id); err != nil {
		return "", err
	}
	return id, nil
}

// CheckEnvID checks a decoded ENVID, as ParseEnvID returns it or as an
// SMTP server library hands it over (go-smtp's MailOptions.EnvelopeID),
// for Original-Envelope-Id: printable ASCII, inner spaces included
// (RFC 3461 §4.4, RFC 3464 §2.2.1), at most 100 characters (RFC 3461
// §4.4). Every such value reads back exactly from a composed DSN but one
// with white space at an end, which header unfolding drops (RFC 5322
// §2.2.3): that one is refused, as it could not round-trip. The empty
// string (no ENVID) passes. Its error is a *FieldError for the field
// "ENVID".
func CheckEnvID(id string) error { return checkEnvID("ENVID", id) }

func checkEnvID(field, id string) error {
	if i := mailsyntax.IndexNotPrintable(id); i >= 0 {
		return fieldError(field, "character "+byteHex(id[i])+" not printable ASCII (RFC 3464 §2.2.1)")
	}
	if len(id) > maxEnvID {
		return fieldError(field, "longer than 100 characters (RFC 3461 §4.4)")
	}
	return checkTrimmed(field, id)
}

// isAtom reports whether s is a non-empty atom (RFC 5322 §3.2.3), the
// syntax of an address type (RFC 3461 §4.2).
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>[]:;@\,."`, c) >= 0 {
			return false
		}
	}
	return true
}

// quoteASCII quotes s for an error message with every non-ASCII or
// control byte escaped, so an error never carries a raw line break.
func quoteASCII(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.QuoteToASCII(s)
}
