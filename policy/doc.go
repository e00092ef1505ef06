// Package policy decides what becomes of a message that was accepted and
// then failed delivery: bounce it (send a DSN to the return path), drop it
// (to avoid backscatter to a forged return path), defer the decision, or,
// while the SMTP session is still open, reject it.
//
// A Policy is the configuration; its zero value is usable and means the
// defaults: SPF-gated, bouncing only when SPF on the return path passes.
// Policy.Decide takes an Event (the failed delivery as the MTA saw it) and
// applies eight rules in order, the first match winning:
//
//  1. in-session failure: reject, with the SMTP reply to give;
//  2. null return path: drop (never a DSN to <>, RFC 5321 §4.5.5);
//  3. NOTIFY excludes every recipient: drop (RFC 3461 §4.1);
//  4. the original is itself a bounce or auto-reply: drop (RFC 3834 §2);
//  5. the caller judged the content spam or a virus: drop;
//  6. authenticated or locally submitted sender: bounce;
//  7. mode discard: drop; mode always: bounce;
//  8. mode spf-gated: the SPF verdict on the return path, mapped by a table.
//
// Every Decision names its Reason with a stable code, says which SPF
// verdict it used and where it came from, lists the recipients reported
// and those NOTIFY suppressed, and carries the DSN to send (bounce) or the
// postmaster notice (drop), each a complete message with its envelope.
//
// # SPF results recorded in the header
//
// When the Event carries no SPF result, Decide looks for the one our host
// recorded at receipt in a Received-SPF (RFC 7208 §9.1) or
// Authentication-Results (RFC 8601 §2.7.2) field naming Policy.AuthservID.
// It walks the header top-down, stops at the first Received field by
// another host (below it, everything came from outside), and trusts only
// the first such field naming our host, and only when it is on the
// mailfrom identity of this very return path. This assumes that the MTA
// records SPF at receipt, or removes on arrival the fields that claim its
// name (RFC 8601 §5): otherwise a sender could write one. Anything
// doubtful (no field, another identity, an unreadable or over-long field)
// falls back to evaluating SPF now, when allowed.
package policy
