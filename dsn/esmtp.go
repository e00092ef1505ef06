package dsn

import "strings"

// MailParams are the parameters of a MAIL FROM command this package
// reads: RET and ENVID (RFC 3461 §4.3, §4.4) and SMTPUTF8 (RFC 6531
// §3.4). Zero values mean the parameter was not given.
type MailParams struct {
	Ret      Ret
	EnvID    string // decoded from xtext, as ParseEnvID gives it
	SMTPUTF8 bool
}

// RcptParams are the parameters of a RCPT TO command this package reads:
// NOTIFY and ORCPT (RFC 3461 §4.1, §4.2). Zero values mean the parameter
// was not given.
type RcptParams struct {
	Notify Notify
	ORCPT  Address
}

// ParseMailParams reads the ESMTP parameters of a MAIL FROM command as a
// mail filter receives them, one string such as "RET=HDRS ENVID=QQ+2B314159
// SMTPUTF8 SIZE=123": keyword[=value] items separated by spaces
// (RFC 5321 §4.1.2). Keywords match in any case; unknown ones are ignored.
// RET, ENVID and SMTPUTF8 may each be given once (RFC 3461 §4, RFC 6531
// §3.4); RET and ENVID need a value, read with ParseRet and ParseEnvID,
// and SMTPUTF8 takes none. Errors are *FieldError values naming the
// keyword.
func ParseMailParams(args string) (MailParams, error) {
	var p MailParams
	err := eachParam(args, []string{"RET", "ENVID", "SMTPUTF8"}, func(kw, value string) error {
		var err error
		switch kw {
		case "RET":
			p.Ret, err = ParseRet(value)
		case "ENVID":
			p.EnvID, err = ParseEnvID(value)
		case "SMTPUTF8":
			p.SMTPUTF8 = true
		}
		return err
	})
	return p, err
}

// ParseRcptParams reads the ESMTP parameters of a RCPT TO command, as
// ParseMailParams does those of MAIL FROM: NOTIFY and ORCPT, each at most
// once (RFC 3461 §4), with a value read by ParseNotify and ParseORCPT;
// unknown keywords are ignored.
func ParseRcptParams(args string) (RcptParams, error) {
	var p RcptParams
	err := eachParam(args, []string{"NOTIFY", "ORCPT"}, func(kw, value string) error {
		var err error
		switch kw {
		case "NOTIFY":
			p.Notify, err = ParseNotify(value)
		case "ORCPT":
			p.ORCPT, err = ParseORCPT(value)
		}
		return err
	})
	return p, err
}

// eachParam calls fn for each parameter of args whose keyword is one of
// known, with the keyword as known spells it and the value. A known
// keyword given twice, one without the value it needs (all but
// SMTPUTF8), or SMTPUTF8 with a value is an error.
func eachParam(args string, known []string, fn func(keyword, value string) error) error {
	var seen uint8 // bit i: known[i] given
	// RFC 5321 §4.1.2: parameters are separated by SP. Only ASCII space
	// and tab separate: an RFC 6531 value may hold other Unicode spaces.
	for item := range strings.FieldsFuncSeq(args, func(r rune) bool { return r == ' ' || r == '\t' }) {
		kw, value, hasValue := strings.Cut(item, "=")
		i := indexFold(known, kw)
		if i < 0 {
			continue // RFC 5321 §4.1.2: other extensions' parameters
		}
		kw = known[i]
		switch {
		case seen&(1<<i) != 0:
			return fieldError(kw, "given twice (RFC 3461 §4, RFC 6531 §3.4: at most once)")
		case kw == "SMTPUTF8" && hasValue:
			return fieldError(kw, "takes no value (RFC 6531 §3.4)")
		case kw != "SMTPUTF8" && value == "":
			return fieldError(kw, "needs a value (RFC 3461 §4)")
		}
		seen |= 1 << i
		if err := fn(kw, value); err != nil {
			return err
		}
	}
	return nil
}

// indexFold returns the index of s in list, matched in any case, or -1.
func indexFold(list []string, s string) int {
	for i, k := range list {
		if strings.EqualFold(k, s) {
			return i
		}
	}
	return -1
}
