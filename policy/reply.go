package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// ReplyDecision is the outcome of Policy.DecideReply. Fields without
// meaning for the Action are zero.
type ReplyDecision struct {
	// Action is what becomes of the auto-reply.
	Action ReplyAction
	// Reason is the stable code of the rule that decided.
	Reason ReplyReason

	// SPF is the verdict the SPF rule used, and SPFSource where it came
	// from, as in Decision; both are zero when no rule needed SPF.
	SPF       spf.Verdict
	SPFSource Source

	// Reply is the message to send, for a reply, unless ReplyEvent.Text
	// was empty: then the caller composes its own.
	Reply *Message
	// RetryAt is when to decide again, for a defer.
	RetryAt time.Time
}

// DecideReply decides whether ev, a message delivered to a user with an
// auto-reply on, gets that reply, and composes it. The rules, in order,
// the first match winning (see ReplyReason for the codes):
//
//  1. never to the null return path (RFC 3834 §2);
//  2. never to mail software: MAILER-DAEMON, LISTSERV, majordomo,
//     postmaster, owner-* and *-request (RFC 5230 §4.6);
//  3. never to the user's own addresses or the reply's own sender;
//  4. never to an automatic message: Auto-Submitted other than "no"
//     (RFC 3834 §5), or a multipart/report;
//  5. never to Precedence bulk, junk or list;
//  6. never to mail from a list: any List-* field (RFC 2369, RFC 2919);
//  7. only when To, Cc, Bcc, Resent-To, Resent-Cc or Resent-Bcc names
//     one of ReplyEvent.Addresses (RFC 5230 §4.5);
//  8. only when the return path is shown genuine, as Decide shows it: an
//     authenticated sender, or SPF pass (recorded in the event, in a
//     trusted header, or evaluated now), or an aligned DKIM signature
//     when Policy.Authenticate has it. SPF temperror defers, within
//     Policy.DeferFor of receipt; neutral is none; every other result,
//     no reply. Policy.Mode, OnSPF and Fallback concern bounces only;
//  9. at most once per sender per ReplyEvent.Days for the user and the
//     handle (RFC 5230 §4.2): the Store's Claim, made last, once every
//     other rule let the reply through. A store error defers.
//
// DecideReply returns an error for an invalid policy or event (wrapping
// ErrInvalidPolicy or ErrInvalidEvent), when ctx ends during an SPF
// evaluation, DKIM check or Claim, or when the original cannot be read.
func (p *Policy) DecideReply(ctx context.Context, ev ReplyEvent) (ReplyDecision, error) {
	d, err := p.decideReply(ctx, &ev)
	p.logReply(ctx, &ev, d, err)
	return d, err
}

// decideReply is DecideReply without the log.
func (p *Policy) decideReply(ctx context.Context, ev *ReplyEvent) (ReplyDecision, error) {
	if err := p.Validate(); err != nil {
		return ReplyDecision{}, err
	}
	if err := ev.Validate(); err != nil {
		return ReplyDecision{}, err
	}
	if err := ctxErr(ctx); err != nil {
		return ReplyDecision{}, fmt.Errorf("policy: deciding a reply: %w", err)
	}
	ev.ReturnPath, _ = smtpsyntax.ReversePath(ev.ReturnPath) // checked by Validate

	var d ReplyDecision
	if d.Reason = envelopeRule(ev); d.Reason != "" {
		d.Action = NoReply
		return d, nil
	}
	// The rules read the original as Decide does: one scan of its header,
	// in the decisions' scratch memory.
	bev := ev.bounceEvent()
	sc := p.getScratch(ev.Original, p.readsTraceFields(&bev))
	defer p.putScratch(sc)
	rh := replyHeader{addresses: ev.Addresses}
	sc.orig.reply = &rh
	h, err := sc.orig.Header()
	if err != nil {
		return ReplyDecision{}, err
	}
	if d.Reason = headerRule(h, &rh); d.Reason != "" {
		d.Action = NoReply
		return d, nil
	}
	if err := p.genuine(ctx, &bev, h, &d); err != nil || d.Action != SendReply {
		return d, err
	}
	var reply *Message
	if ev.Text != "" {
		// Composed before the claim: a reply that cannot be composed must
		// not use up the sender's period.
		if reply, err = p.composeReply(ev, &rh); err != nil {
			return ReplyDecision{}, err
		}
	}
	if err := p.claimReply(ctx, ev, &d); err != nil || d.Action != SendReply {
		return d, err
	}
	d.Reply = reply
	return d, nil
}

// bounceEvent is the Event the SPF and DKIM rules of Decide read: what
// was recorded at receipt.
func (ev *ReplyEvent) bounceEvent() Event {
	return Event{
		ReturnPath:    ev.ReturnPath,
		ClientIP:      ev.ClientIP,
		HELO:          ev.HELO,
		ReceivedAt:    ev.ReceivedAt,
		SPF:           ev.SPF,
		Authenticated: ev.Authenticated,
		SMTPUTF8:      ev.SMTPUTF8,
		Original:      ev.Original,
	}
}

// envelopeRule applies rules 1 to 3, on the envelope: the reason of the
// rule that refuses a reply, or "".
func envelopeRule(ev *ReplyEvent) ReplyReason {
	switch rp := ev.ReturnPath; {
	// Rule 1: RFC 3834 §2, nothing answers the null return path (RFC 5321
	// §4.5.5).
	case rp == "":
		return ReplyNullSender
	// Rule 2: RFC 5230 §4.6.
	case isSystemSender(rp):
		return ReplySystemSender
	// Rule 3: a reply to oneself answers nobody, and may loop.
	case matchAddress(rp, ev.Addresses) || ev.MailFrom != "" && strings.EqualFold(rp, ev.MailFrom):
		return ReplyOwnAddress
	}
	return ""
}

// systemLocalParts are local parts that only mail software sends from:
// RFC 5230 §4.6 names MAILER-DAEMON, LISTSERV and majordomo; postmaster
// is vacation(1)'s, and the sender of reports (RFC 5321 §4.5.1).
var systemLocalParts = [...]string{"mailer-daemon", "listserv", "majordomo", "postmaster"}

// isSystemSender reports whether addr is mail software's (rule 2): one of
// systemLocalParts, or a mailing list's: owner-* and *-request, which
// RFC 5230 §4.6 reserves for list software. Like Pigeonhole, "-request"
// counts anywhere in the local part, so that "list-request+tag" does too.
func isSystemSender(addr string) bool {
	local := addr[:strings.LastIndexByte(addr, '@')]
	for _, s := range systemLocalParts {
		if strings.EqualFold(local, s) {
			return true
		}
	}
	return len(local) > len("owner-") && strings.EqualFold(local[:len("owner-")], "owner-") ||
		containsFold(local, "-request")
}

// headerRule applies rules 4 to 7, on the original's header: the reason
// of the rule that refuses a reply, or "".
func headerRule(h header, rh *replyHeader) ReplyReason {
	switch {
	case h.automatic: // rule 4: RFC 3834 §2, §5
		return ReplyAutoSubmitted
	case rh.precedence: // rule 5
		return ReplyPrecedence
	case rh.list: // rule 6: RFC 5230 §4.6
		return ReplyList
	case !rh.addressed: // rule 7: RFC 5230 §4.5
		return ReplyNotAddressed
	}
	return ""
}

// genuine applies rule 8, setting d: SendReply when the return path is
// shown genuine.
func (p *Policy) genuine(ctx context.Context, ev *Event, h header, d *ReplyDecision) error {
	if ev.Authenticated {
		d.Action, d.Reason = SendReply, ReplyTrustedSender
		return nil
	}
	d.SPF, d.SPFSource = p.spfVerdict(ctx, ev, h)
	if err := ctxErr(ctx); err != nil {
		// The caller gave up: the temperror this causes is no verdict.
		return fmt.Errorf("policy: evaluating SPF: %w", err)
	}
	// RFC 7208 §8.2: neutral is none, which, like every result but pass
	// and temperror, shows nothing.
	d.Action, d.Reason = NoReply, replySPFReason(d.SPF.Result)
	if d.SPF.Result == spf.Pass {
		d.Action = SendReply
		return nil
	}
	if p.authenticates(AuthDKIM) {
		pass, err := p.dkimPass(ctx, ev)
		if err != nil {
			return err
		}
		if pass {
			d.Action, d.Reason = SendReply, ReplyDKIMPass
			return nil
		}
	}
	if d.SPF.Result == spf.TempError {
		// The defer window of bounces, with no fallback: past it, no
		// reply, since none may go out blind.
		b := Decision{Action: Defer}
		if p.deferOrFallback(ev, &b); b.Reason == ReasonSPFTempErrorExpired {
			d.Reason = ReplySPFTempErrorExpired
			return nil
		}
		d.Action, d.RetryAt = DeferReply, b.RetryAt
	}
	return nil
}

// claimReply applies rule 9: the Store's Claim on the sender for the user
// and handle, for Days. It leaves d a reply when the claim is the first,
// and no reply or a defer otherwise.
func (p *Policy) claimReply(ctx context.Context, ev *ReplyEvent, d *ReplyDecision) error {
	days := orDefault(ev.Days, DefaultReplyDays)
	first, err := p.defaults().store.Claim(ctx, replyKey(ev), time.Duration(days)*24*time.Hour)
	if cerr := ctxErr(ctx); cerr != nil {
		return fmt.Errorf("policy: claiming the reply: %w", cerr)
	}
	switch {
	case err != nil:
		// Never a reply decided blind: the sender may have had it.
		d.Action, d.Reason = DeferReply, ReplyStoreUnavailable
		d.RetryAt = p.now().Add(orDefault(p.RetryAfter, DefaultRetryAfter))
	case !first:
		d.Action, d.Reason = NoReply, ReplyAlreadyReplied
	}
	return nil
}

// replyKey is the Store key of the once-per-period rule: the handle (or
// the reply's subject and text, RFC 5230 §4.2), the user and the sender,
// hashed so that keys are short and hold no address in the store.
// Addresses compare without regard to case, as the rules do, and the
// sender's domain as domainKey spells it: one sender, one reply.
func replyKey(ev *ReplyEvent) string {
	h := sha256.New()
	if ev.Handle != "" {
		h.Write([]byte("handle\x00" + ev.Handle))
	} else {
		h.Write([]byte("text\x00" + ev.Subject + "\x00" + ev.Text))
	}
	h.Write([]byte("\x00" + strings.ToLower(ev.Addresses[0]) + "\x00" + mailboxKey(ev.ReturnPath)))
	var sum [sha256.Size]byte
	return "reply:" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// String explains the decision in one line, for people and logs.
func (d ReplyDecision) String() string {
	s := string(d.Action) + " (" + string(d.Reason) + "): " + d.why()
	switch {
	case d.Reply != nil:
		s += "; reply to <" + d.Reply.RcptTo + ">"
	case !d.RetryAt.IsZero():
		s += "; decide again at " + d.RetryAt.UTC().Format(time.RFC3339)
	}
	return s
}

// LogValue implements slog.LogValuer: the decision as a group of
// attributes.
func (d ReplyDecision) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("action", string(d.Action)),
		slog.String("reason", string(d.Reason)),
	}
	if d.SPF.Result != "" {
		attrs = append(attrs, spfAttr(d.SPF, d.SPFSource))
	}
	if d.Reply != nil {
		attrs = append(attrs, slog.String("reply_to", d.Reply.RcptTo), slog.Int64("reply_bytes", d.Reply.Size))
	}
	if !d.RetryAt.IsZero() {
		attrs = append(attrs, slog.Time("retry_at", d.RetryAt))
	}
	return slog.GroupValue(attrs...)
}

// logReply records the outcome of one DecideReply through Policy.Logger.
func (p *Policy) logReply(ctx context.Context, ev *ReplyEvent, d ReplyDecision, err error) {
	if p.Logger == nil {
		return
	}
	if err != nil {
		p.Logger.LogAttrs(ctx, slog.LevelWarn, "auto-reply decision failed",
			slog.String("return_path", ev.ReturnPath), slog.Any("error", err))
		return
	}
	p.Logger.LogAttrs(ctx, slog.LevelInfo, "auto-reply decision",
		slog.String("return_path", ev.ReturnPath), slog.Any("decision", d))
}
