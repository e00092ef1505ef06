package policy

import "github.com/bouncepolicy/bouncepolicy/spf"

// Reason is the stable code naming the rule behind a Decision. The codes
// are part of the API: logs, metrics and the bouncecheck command use them.
type Reason string

// The reason codes, one per rule (see the package documentation).
const (
	ReasonInSession      Reason = "in-session"      // rule 1
	ReasonNullSender     Reason = "null-sender"     // rule 2
	ReasonNotify         Reason = "notify"          // rule 3
	ReasonLoop           Reason = "loop"            // rule 4
	ReasonHostileContent Reason = "hostile-content" // rule 5
	ReasonTrustedSender  Reason = "trusted-sender"  // rule 6
	ReasonPolicyDiscard  Reason = "policy-discard"  // rule 7, mode discard
	ReasonPolicyAlways   Reason = "policy-always"   // rule 7, mode always

	// Rule 8: "spf-" and the SPF result the table mapped.
	ReasonSPFPass      Reason = "spf-pass"
	ReasonSPFFail      Reason = "spf-fail"
	ReasonSPFSoftFail  Reason = "spf-softfail"
	ReasonSPFNone      Reason = "spf-none"
	ReasonSPFNeutral   Reason = "spf-neutral"
	ReasonSPFPermError Reason = "spf-permerror"
	ReasonSPFTempError Reason = "spf-temperror"

	// ReasonSPFTempErrorExpired: SPF stayed temperror past the defer
	// window, and the fallback applied.
	ReasonSPFTempErrorExpired Reason = "spf-temperror-expired"

	// ReasonDKIMPass: SPF did not show the return path genuine, but an
	// aligned DKIM signature did (Policy.Authenticate).
	ReasonDKIMPass Reason = "dkim-pass"
)

// dropReasons are the reasons a drop can have, every SPF result included:
// Policy.OnSPF may map any to a drop.
var dropReasons = [...]Reason{
	ReasonNullSender, ReasonNotify, ReasonLoop, ReasonHostileContent, ReasonPolicyDiscard,
	ReasonSPFPass, ReasonSPFFail, ReasonSPFSoftFail, ReasonSPFNone, ReasonSPFNeutral,
	ReasonSPFPermError, ReasonSPFTempError, ReasonSPFTempErrorExpired,
}

// spfReason is the rule 8 reason for result r.
func spfReason(r spf.Result) Reason { return Reason("spf-" + string(r)) }
