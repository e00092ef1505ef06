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
// Header fields never supply the verdict unless Policy.TrustRecordedHeaders
// is set: a sender can write a Received-SPF (RFC 7208 §9.1) or
// Authentication-Results (RFC 8601 §2.7.2) field naming our host into its
// own message, and our host name is public. The safe way is to record the
// result at receipt and hand it over in Event.SPF.
//
// With TrustRecordedHeaders, when the Event carries no SPF result, Decide
// considers only the fields above our own topmost Received field: our MTA
// prepends that field at receipt (RFC 5321 §4.4) and places above it what
// it and its receipt milters add, while everything below came with the
// message. The topmost Received must be by our host (ReportingMTA or
// AuthservID). Among the fields above it, the first that names
// AuthservID, read exactly, decides, and only when it is on the mailfrom
// identity of this very return path. A field there that mentions our name
// but cannot be read in exactly one way (unparsable, a key given twice, an
// unquoted value that is no dot-atom, another host's field naming us) ends
// the walk, and SPF is evaluated now.
//
// Turn it on only when the MTA guarantees two things: it records SPF at
// receipt above its own Received field (a receipt milter can), and
// it deletes arriving fields that claim its name (RFC 8601 §5).
//
// # Notices and logs
//
// A drop whose reason is in Policy.NoticeOn sends the postmaster a notice,
// by default only where the mail may be genuine (not spf-fail, null-sender,
// loop or notify, which a forged spam run produces by the thousand).
// Policy.Logger records every decision, notice or not.
package policy
