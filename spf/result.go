package spf

import (
	"errors"
	"fmt"
	"strings"
)

// Result is the outcome of an SPF evaluation (RFC 7208 §2.6). Its values
// are the lower-case names used in Received-SPF and Authentication-Results.
type Result string

// The results of RFC 7208 §2.6.
const (
	None      Result = "none"      // RFC 7208 §2.6.1: no record, or no usable domain
	Neutral   Result = "neutral"   // RFC 7208 §2.6.2: no assertion either way
	Pass      Result = "pass"      // RFC 7208 §2.6.3: the client is authorized
	Fail      Result = "fail"      // RFC 7208 §2.6.4: the client is not authorized
	SoftFail  Result = "softfail"  // RFC 7208 §2.6.5: probably not authorized
	TempError Result = "temperror" // RFC 7208 §2.6.6: a transient (DNS) error
	PermError Result = "permerror" // RFC 7208 §2.6.7: the records cannot be interpreted
)

// ErrUnknownResult reports a string that names no SPF result.
var ErrUnknownResult = errors.New("spf: unknown result")

// ParseResult returns the Result named by s, ignoring case and surrounding
// space (RFC 7208 §9.1: the names are case-insensitive).
func ParseResult(s string) (Result, error) {
	switch r := Result(strings.ToLower(strings.TrimSpace(s))); r {
	case None, Neutral, Pass, Fail, SoftFail, TempError, PermError:
		return r, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownResult, s)
}

// Identity names the identity an SPF result is about (RFC 7208 §2.3, §2.4).
type Identity string

// The identities SPF checks.
const (
	MailFrom Identity = "mailfrom" // RFC 7208 §2.4: the MAIL FROM return path
	HELO     Identity = "helo"     // RFC 7208 §2.3: the HELO/EHLO domain
)
