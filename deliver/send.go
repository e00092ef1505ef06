package deliver

import (
	"context"
	"strings"
	"sync"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
)

// send delivers tx: everything to the next hop, or domain by domain.
func (c *Client) send(ctx context.Context, tx *transaction) error {
	var errs Errors
	if c.NextHop != "" {
		next := host{name: c.NextHop, addrs: func(context.Context) ([]string, *Error) {
			return []string{c.nextHop()}, nil
		}}
		errs = c.tryHosts(ctx, tx, []host{next}, tx.rcpts)
	} else {
		res := c.resolver()
		for _, g := range byDomain(tx.rcpts) {
			errs = append(errs, c.sendDomain(ctx, tx, res, g)...)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// sendDomain delivers to the recipients at one domain, through its MX
// hosts (RFC 5321 §5.1).
func (c *Client) sendDomain(ctx context.Context, tx *transaction, res func() (spf.Resolver, *Error), g domainGroup) []*Error {
	rcpts := addrs(g.rcpts)
	if ctx.Err() != nil {
		return []*Error{ctxError(ctx, rcpts, "not tried")}
	}
	var hosts []host
	var e *Error
	if strings.HasPrefix(g.domain, "[") {
		hosts, e = c.route(ctx, nil, g.domain, rcpts) // a literal asks no DNS
	} else {
		r, rerr := res()
		if rerr != nil {
			e := *rerr // shared by every domain: each gets its own
			e.Recipients = rcpts
			return []*Error{&e}
		}
		hosts, e = c.route(ctx, r, g.domain, rcpts)
	}
	if e != nil {
		return []*Error{e}
	}
	return c.tryHosts(ctx, tx, hosts, g.rcpts)
}

// resolver returns the Client's Resolver, or makes the system's once,
// on first need: a send to a next hop or an address literal reads no
// /etc/resolv.conf.
func (c *Client) resolver() func() (spf.Resolver, *Error) {
	if c.Resolver != nil {
		return func() (spf.Resolver, *Error) { return c.Resolver, nil }
	}
	return sync.OnceValues(func() (spf.Resolver, *Error) {
		r, err := resolver.System()
		if err != nil {
			return nil, &Error{Temporary: true, EnhancedCode: "4.4.3", Text: "no DNS resolver", Err: err}
		}
		return r, nil
	})
}

// tryHosts tries hosts in order until one settles every recipient, and
// returns the failures. When none does, the recipients left fail with the
// last temporary failure, if any (another try later may find a host up),
// else with the last failure.
func (c *Client) tryHosts(ctx context.Context, tx *transaction, hosts []host, rcpts []rcpt) []*Error {
	var failed []*Error
	var last, lastTemporary *Error
	note := func(e *Error) {
		last = e
		if e.Temporary {
			lastTemporary = e
		}
	}
	pending := rcpts
hosts:
	for _, h := range hosts {
		addrs, e := h.addrs(ctx)
		if e != nil {
			note(e)
			continue
		}
		for _, a := range addrs {
			if ctx.Err() != nil {
				break hosts
			}
			out := c.attempt(ctx, tx, h.name, a, pending)
			failed = append(failed, out.failed...)
			if out.retry == nil {
				return failed
			}
			note(out.retry)
			pending = out.pending
		}
	}
	final := lastTemporary
	switch {
	case ctx.Err() != nil:
		final = ctxError(ctx, nil, "not delivered")
	case final == nil && last != nil:
		final = last
	case final == nil:
		// MX records, but none usable: only the root among others.
		final = &Error{EnhancedCode: "5.1.2", Text: "no usable MX host (RFC 5321 §5.1)"}
	}
	final.Recipients = addrs(pending)
	return append(failed, final)
}

// A domainGroup is the recipients at one domain, in their order.
type domainGroup struct {
	domain string // lowercased (RFC 5321 §2.4: domains are case-blind)
	rcpts  []rcpt
}

// byDomain groups recipients by domain, domains in the order they first
// appear, so that each domain gets one transaction.
func byDomain(rcpts []rcpt) []domainGroup {
	var groups []domainGroup
	index := map[string]int{}
	for _, r := range rcpts {
		d := strings.ToLower(r.addr[strings.LastIndexByte(r.addr, '@')+1:])
		i, ok := index[d]
		if !ok {
			i = len(groups)
			index[d] = i
			groups = append(groups, domainGroup{domain: d})
		}
		groups[i].rcpts = append(groups[i].rcpts, r)
	}
	return groups
}
