package dsn

import (
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// This file reads the values of delivery-status fields: actions, status
// codes, MTA names, dates.

// parseAction reads an action-value (RFC 3464 §2.3.3), case-insensitively.
func parseAction(v string) (Action, error) {
	plain, _ := mailsyntax.StripComments(v)
	a := Action(strings.ToLower(plain))
	switch a {
	case ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded:
		return a, nil
	}
	return "", fieldError("Action", strconv.Quote(v)+": not one of failed, delayed, delivered, relayed, expanded (RFC 3464 §2.3.3)")
}

// parseStatusField reads a Status field (RFC 3464 §2.3.4). Real MTAs add a
// comment ("5.1.1 (bad mailbox)") or text after the code; the code is the
// first word.
func parseStatusField(v string) (Status, error) {
	plain, _ := mailsyntax.StripComments(v)
	code, _, _ := strings.Cut(plain, " ")
	return ParseStatus(code)
}

// parseMTA reads "dns; name (ip)" (RFC 3464 §2.2.4, §2.3.5). A bracketed
// address literal or a bare address as the name gives the IP alone; the
// comment, when it holds an address, gives the IP beside the name.
func parseMTA(v string) MTA {
	plain, comment := mailsyntax.StripComments(v)
	_, name, _ := splitTyped(plain)
	if ip, ok := parseIPLiteral(name); ok {
		return MTA{IP: ip}
	}
	var m MTA
	m.Name, _, _ = strings.Cut(name, " ")
	// The comment may be "192.0.2.1", "[192.0.2.1]" or "helo [192.0.2.1]".
	for _, w := range strings.Fields(comment) {
		if ip, ok := parseIPLiteral(w); ok {
			m.IP = ip
			break
		}
	}
	return m
}

// parseIPLiteral reads an address as a bare IP, an RFC 5321 §4.1.3 address
// literal ("[192.0.2.1]", "[IPv6:2001:db8::1]").
func parseIPLiteral(s string) (netip.Addr, bool) {
	if len(s) > 1 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip, true
}

// dateLayouts are the forms real MTAs give dates in besides RFC 5322 §3.3,
// which net/mail.ParseDate reads.
var dateLayouts = [...]string{
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
}

// rfc5322Date is the date-time of RFC 5322 §3.3 as nearly every MTA
// writes it; Go's "2" reads a day of one or two digits.
const rfc5322Date = "Mon, 2 Jan 2006 15:04:05 -0700"

// parseDate reads a date-time (RFC 3464 §2.1.5 uses RFC 5322 §3.3) leniently.
// A date no layout fits gives the zero time rather than failing the report:
// dates are informative, and real MTAs write them in many ways.
func parseDate(v string) time.Time {
	// The common case first, without the trailing "(UTC)" comment: failed
	// attempts cost an error value each.
	fast, _, _ := strings.Cut(v, "(")
	if t, err := time.Parse(rfc5322Date, strings.TrimSpace(fast)); err == nil {
		return t
	}
	plain, _ := mailsyntax.StripComments(v)
	// "Thu,29 Apr 2010": a day name without the space after its comma.
	plain = strings.Join(strings.Fields(strings.Replace(plain, ",", ", ", 1)), " ")
	if t, err := mail.ParseDate(plain); err == nil {
		return t
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, plain); err == nil {
			return t
		}
	}
	return time.Time{}
}
