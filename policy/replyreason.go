package policy

import "github.com/bouncepolicy/bouncepolicy/spf"

// This file holds the rules of the auto-reply decision, in the order
// DecideReply applies them, with their reason codes and the words that
// explain them.

// ReplyAction is what becomes of an auto-reply (the "action" of the
// bouncecheck reply JSON).
type ReplyAction string

// The reply actions.
const (
	SendReply  ReplyAction = "reply" // send ReplyDecision.Reply
	NoReply    ReplyAction = "none"  // send nothing
	DeferReply ReplyAction = "defer" // decide again at ReplyDecision.RetryAt
)

// ReplyReason is the stable code naming the rule behind a ReplyDecision.
// The codes are part of the API, as Reason's are. Where a code names the
// same rule as a Reason, it is spelt the same.
type ReplyReason string

// The reply reasons, in the order of the rules.
const (
	// ReplyNullSender: the return path is null (RFC 3834 §2, RFC 5321
	// §4.5.5).
	ReplyNullSender ReplyReason = "null-sender"
	// ReplySystemSender: the return path is mail software's, such as
	// MAILER-DAEMON or a list's owner-* (RFC 5230 §4.6).
	ReplySystemSender ReplyReason = "system-sender"
	// ReplyOwnAddress: the return path is one of the user's addresses, or
	// the reply's own sender (RFC 3834 §2: no loop through oneself).
	ReplyOwnAddress ReplyReason = "own-address"
	// ReplyAutoSubmitted: the original is automatic: Auto-Submitted other
	// than "no" (RFC 3834 §5, RFC 5230 §4.6), or a report (RFC 6522).
	ReplyAutoSubmitted ReplyReason = "auto-submitted"
	// ReplyPrecedence: Precedence is bulk, junk or list.
	ReplyPrecedence ReplyReason = "precedence"
	// ReplyList: a List-* field marks mail from a list (RFC 5230 §4.6).
	ReplyList ReplyReason = "list"
	// ReplyNotAddressed: no recipient field names one of the user's
	// addresses (RFC 5230 §4.5).
	ReplyNotAddressed ReplyReason = "not-addressed"

	// The sender shown genuine, the way Decide's rules 6 and 8 show it:
	// the reasons of a reply sent.
	ReplyTrustedSender ReplyReason = "trusted-sender"
	ReplySPFPass       ReplyReason = "spf-pass"
	ReplyDKIMPass      ReplyReason = "dkim-pass"

	// Not shown genuine: "spf-" and the SPF result, as for Decide.
	ReplySPFFail      ReplyReason = "spf-fail"
	ReplySPFSoftFail  ReplyReason = "spf-softfail"
	ReplySPFNone      ReplyReason = "spf-none"
	ReplySPFNeutral   ReplyReason = "spf-neutral"
	ReplySPFPermError ReplyReason = "spf-permerror"
	// ReplySPFTempError defers; ReplySPFTempErrorExpired gives up once
	// the defer window from receipt (Policy.DeferFor) has run out.
	ReplySPFTempError        ReplyReason = "spf-temperror"
	ReplySPFTempErrorExpired ReplyReason = "spf-temperror-expired"

	// ReplyAlreadyReplied: the sender had a reply for this handle within
	// the last days (RFC 5230 §4.2).
	ReplyAlreadyReplied ReplyReason = "already-replied"
	// ReplyStoreUnavailable: the Store could not say whether the sender
	// had a reply already: defer, never a reply decided blind.
	ReplyStoreUnavailable ReplyReason = "store-unavailable"
)

// replySPFReason is the reason for SPF result r.
func replySPFReason(r spf.Result) ReplyReason { return ReplyReason("spf-" + string(r)) }

// why says in words why the rule named by Reason matched.
func (d ReplyDecision) why() string {
	switch d.Reason {
	case ReplyNullSender:
		return "the return path is null, and nothing answers <>"
	case ReplySystemSender:
		return "the return path belongs to mail software, not a person"
	case ReplyOwnAddress:
		return "the return path is the user's own address"
	case ReplyAutoSubmitted:
		return "the original is itself automatic: an auto-reply, a notification or a report"
	case ReplyPrecedence:
		return "the original is marked bulk, junk or list mail"
	case ReplyList:
		return "the original came through a mailing list"
	case ReplyNotAddressed:
		return "the original does not name the user in To or Cc"
	case ReplyTrustedSender:
		return "the sender authenticated or submitted locally"
	case ReplyDKIMPass:
		return "an aligned DKIM signature shows the return path genuine"
	case ReplyAlreadyReplied:
		return "the sender had this reply within the period"
	case ReplyStoreUnavailable:
		return "the store of replies sent could not answer"
	}
	return spfWhy(d.SPF, d.SPFSource, d.Reason == ReplySPFTempErrorExpired, d.Reason == ReplySPFPass, d.Action == DeferReply)
}
