package spf

import "net/netip"

// A Verdict is the outcome of an SPF check with what it was about, enough
// to record it in a header field and to explain it later.
type Verdict struct {
	Result   Result
	Identity Identity
	// Domain is the domain whose policy was evaluated: the return path's
	// domain, or the HELO name.
	Domain string
	// Sender is the address checked: the return path, or postmaster@ the
	// domain when the return path is null or has no local part
	// (RFC 7208 §2.4, §4.3).
	Sender   string
	ClientIP netip.Addr
	HELO     string
	// Explanation is, for fail, the domain's exp= text or a default
	// explanation (RFC 7208 §6.2).
	Explanation string
	// Mechanism is the directive that matched, as written in the record,
	// "default" when none did (RFC 7208 §4.7), or "" when not known.
	Mechanism string
}
