package spf

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds a whole check when Checker.Timeout is zero
// (RFC 7208 §4.6.4: at least 20 seconds).
const DefaultTimeout = 20 * time.Second

// A Checker evaluates SPF policies. The zero value is ready to use; a
// Checker is safe for concurrent use, and must not be copied after first
// use: it keeps the records it has parsed, and the state of past checks
// for reuse.
type Checker struct {
	// Resolver answers the DNS queries; nil means net.DefaultResolver.
	// Package spf/resolver has resolvers that read /etc/resolv.conf, read
	// zone files and cache answers for their TTLs.
	Resolver Resolver
	// Timeout bounds a whole check, after which the result is temperror;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Receiver is the host performing the check, the %{r} macro of
	// explanations; "" means "unknown" (RFC 7208 §7.2).
	Receiver string
	// Now is the clock of the %{t} macro; nil means time.Now.
	Now func() time.Time

	records     recordCache
	evaluations sync.Pool // of *evaluation
}

// Check evaluates the SPF policy of the return path sender for a client at
// ip that said helo (RFC 7208 §2.4). The sender may be written with or
// without its angle brackets; a null sender ("" or "<>") is checked as
// postmaster@helo, a sender without a local part as postmaster@domain.
func (c *Checker) Check(ctx context.Context, ip netip.Addr, helo, sender string) Verdict {
	if len(sender) >= 2 && sender[0] == '<' && sender[len(sender)-1] == '>' {
		sender = sender[1 : len(sender)-1] // RFC 5321 §4.1.2: a Path
	}
	local, domain := splitSender(sender)
	switch {
	case sender == "":
		// RFC 7208 §2.4: a null reverse-path is checked as postmaster@HELO.
		local, domain, sender = "postmaster", helo, "postmaster@"+helo
	case local == "":
		// RFC 7208 §4.3: a missing local part stands for postmaster.
		local, sender = "postmaster", "postmaster@"+domain
	}
	v := Verdict{
		Identity: MailFrom,
		Domain:   domain,
		Sender:   sender,
		ClientIP: ip,
		HELO:     helo,
	}
	c.check(ctx, &v, local)
	return v
}

// CheckHELO evaluates the SPF policy of the HELO name on its own
// (RFC 7208 §2.3). A HELO that is an address literal or not a fully
// qualified domain name gives none.
func (c *Checker) CheckHELO(ctx context.Context, ip netip.Addr, helo string) Verdict {
	v := Verdict{
		Identity: HELO,
		Domain:   helo,
		Sender:   "postmaster@" + helo,
		ClientIP: ip,
		HELO:     helo,
	}
	c.check(ctx, &v, "postmaster")
	return v
}

// splitSender splits an address at its last "@"; an address without one is
// taken as a bare domain.
func splitSender(addr string) (local, domain string) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return "", addr
	}
	return addr[:i], addr[i+1:]
}

// check evaluates the prepared verdict and fills in the result.
func (c *Checker) check(ctx context.Context, v *Verdict, local string) {
	ip := v.ClientIP.Unmap() // RFC 7208 §5: IPv4-mapped addresses are IPv4
	if !ip.IsValid() {
		v.Result = PermError
		return
	}
	if !isCheckableDomain(v.Domain) {
		v.Result = None // RFC 7208 §4.3
		return
	}
	var resolver Resolver = net.DefaultResolver
	if c.Resolver != nil {
		resolver = c.Resolver
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	e := c.newEvaluation(resolver, macroEnv{
		sender:       v.Sender,
		local:        local,
		senderDomain: v.Domain,
		helo:         v.HELO,
		ip:           ip,
		receiver:     c.receiver(),
		now:          c.Now,
	})
	defer c.evaluations.Put(e)
	if e.env.now == nil {
		e.env.now = time.Now
	}
	// The context is apart from the evaluation, which is reused: a
	// resolver may keep it after the check.
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > timeout {
		d := &lazyDeadline{Context: ctx, deadline: time.Now().Add(timeout)}
		defer d.stop()
		ctx = d
	}
	v.Result = e.run(ctx, ip, v.HELO, v.Sender, v.Domain)

	deciding := e.decidingRecord()
	switch v.Result {
	case Pass, Fail, SoftFail, Neutral:
		v.Mechanism = deciding.matchedTerm(e.matched)
	}
	if v.Result == Fail && deciding != nil {
		v.Explanation = e.explain(ctx, deciding)
	}
}

func (c *Checker) receiver() string {
	if c.Receiver == "" {
		return "unknown"
	}
	return c.Receiver
}

// isCheckableDomain reports whether a domain can be checked: a multi-label
// name that DNS can hold, not an address literal, without control
// characters (RFC 7208 §4.3).
func isCheckableDomain(d string) bool {
	if d == "" || d[0] == '[' || labelCount(d) < 2 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] <= ' ' || d[i] == 0x7f {
			return false
		}
	}
	return true
}

// labelCount returns the number of labels of name, or 0 when DNS cannot
// hold it: labels of 1 to 63 octets, 253 in all, besides a final dot
// (RFC 1035 §2.3.4).
func labelCount(name string) int {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return 0
	}
	labels, label := 1, 0
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			label++
			continue
		}
		if label == 0 || label > 63 {
			return 0
		}
		labels, label = labels+1, 0
	}
	if label == 0 || label > 63 {
		return 0
	}
	return labels
}
