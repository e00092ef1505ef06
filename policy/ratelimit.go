package policy

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// DefaultLimitWindow is the window of a Limit whose Window is zero.
const DefaultLimitWindow = time.Hour

// suppressedNoticesFor is how long the count of notices the limit held
// back waits for the next notice to report it.
const suppressedNoticesFor = 30 * 24 * time.Hour

// Limit is a rate limit: at most Max per Window. The zero Limit sets no
// limit.
type Limit struct {
	// Max is the most allowed in one window; zero means no limit.
	Max int64
	// Window is DefaultLimitWindow when zero. Windows are aligned on the
	// Unix epoch, so that every host sharing a Store counts in the same
	// windows and a deferred bounce knows when the next one opens.
	Window time.Duration
}

func (l Limit) window() time.Duration { return orDefault(l.Window, DefaultLimitWindow) }

// validate checks l, the policy field named field.
func (l Limit) validate(field string) error {
	if l.Max < 0 {
		return policyError(field+".max", "negative limit %d", l.Max)
	}
	if l.Window < 0 {
		return policyError(field+".window", "negative duration %v", l.Window)
	}
	return nil
}

// current returns the key of the window holding now, under name, and
// when that window ends.
func (l Limit) current(name string, now time.Time) (key string, end time.Time) {
	w := int64(l.window())
	t := now.UnixNano()
	start := now.Add(-time.Duration(((t % w) + w) % w)) // in now's location
	return "rate\x00" + name + "\x00" + strconv.FormatInt(start.UnixNano(), 10), start.Add(time.Duration(w))
}

// limit applies BounceLimit to a bounce and NoticeLimit to a drop with a
// notice: over the bounce limit, d becomes a defer until the window ends;
// over the notice limit, the notice is not sent (sendNotice false) and
// counted, and the next notice sent reports that count (suppressed). A
// Store that cannot answer defers the decision, its error logged, unless
// ctx ended, which is an error.
func (p *Policy) limit(ctx context.Context, ev *Event, d *Decision) (sendNotice bool, suppressed int64, err error) {
	sendNotice = d.Action == Drop && p.noticeOn(d.Reason)
	store := p.defaults().store
	switch {
	case d.Action == Bounce && p.BounceLimit.Max > 0:
		// The limit protects the receiving domain: one counter however
		// the return path spells it (domainKey).
		key, end := p.BounceLimit.current("bounce\x00"+domainKey(domainOf(ev.ReturnPath)), p.now())
		n, err := store.Count(ctx, key, p.BounceLimit.window())
		if err != nil {
			return false, 0, p.storeFailed(ctx, ev, d, err)
		}
		if n > p.BounceLimit.Max {
			d.Action, d.Reason, d.RetryAt = Defer, ReasonRateLimit, end
		}
	case sendNotice && p.NoticeLimit.Max > 0:
		key, _ := p.NoticeLimit.current("notice", p.now())
		n, err := store.Count(ctx, key, p.NoticeLimit.window())
		if err != nil {
			return false, 0, p.storeFailed(ctx, ev, d, err)
		}
		if n > p.NoticeLimit.Max {
			if _, err := store.Count(ctx, "rate\x00notice-suppressed", suppressedNoticesFor); err != nil {
				return false, 0, p.storeFailed(ctx, ev, d, err)
			}
			return false, 0, nil
		}
		if suppressed, err = store.Take(ctx, "rate\x00notice-suppressed"); err != nil {
			return false, 0, p.storeFailed(ctx, ev, d, err)
		}
	}
	return sendNotice, suppressed, nil
}

// domainKey is the one spelling of a return path's domain that rate
// limits and the once-per-period rule count by, so that a sender cannot
// spread its mail to one domain over several counters. Domains compare
// without regard to case (RFC 5321 §2.4); a domain with non-ASCII or
// upper-case letters is the A-label DNS is asked for (RFC 5890
// §2.3.2.1, after the UTS #46 mapping that deliver applies too: case,
// width, NFC); an address literal is the address it names (RFC 5321
// §4.1.3), however written, an IPv4-mapped IPv6 address as IPv4. A
// domain IDNA refuses (Validate let it through, so it has no A-label
// deliver would send to) is kept, lower-cased.
func domainKey(domain string) string {
	if inner, ok := strings.CutPrefix(domain, "["); ok {
		inner = strings.TrimSuffix(inner, "]")
		if len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:") {
			inner = inner[5:]
		}
		if ip, err := netip.ParseAddr(inner); err == nil && ip.Zone() == "" {
			return "[" + ip.Unmap().String() + "]"
		}
		return strings.ToLower(domain)
	}
	if a, err := idna.Lookup.ToASCII(domain); err == nil {
		return strings.ToLower(a)
	}
	return strings.ToLower(domain)
}

// mailboxKey is addr with its domain as domainKey spells it and its local
// part lower-cased, as the once-per-period rule compares senders.
func mailboxKey(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return strings.ToLower(addr)
	}
	return strings.ToLower(addr[:i+1]) + domainKey(addr[i+1:])
}

// storeFailed turns d into a defer for a Store error, and logs the error;
// an ended ctx is an error instead.
func (p *Policy) storeFailed(ctx context.Context, ev *Event, d *Decision, err error) error {
	if ctxErr(ctx) != nil {
		return fmt.Errorf("policy: rate limit: %w", err)
	}
	if p.Logger != nil {
		p.Logger.LogAttrs(ctx, slog.LevelWarn, "rate limit store failed: deferring",
			slog.String("return_path", ev.ReturnPath), slog.String("would_be", string(d.Action)), slog.Any("error", err))
	}
	*d = Decision{Action: Defer, Reason: ReasonRateLimit, SPF: d.SPF, SPFSource: d.SPFSource,
		Reported: d.Reported, Suppressed: d.Suppressed, RetryAt: p.now().Add(orDefault(p.RetryAfter, DefaultRetryAfter))}
	return nil
}
