package deliver

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// DefaultTimeout is the wait for each reply when Client.Timeout is zero:
// the 5 minutes RFC 5321 §4.5.3.2 sets as the minimum for the greeting,
// MAIL and RCPT, and more than its 2 minutes for DATA and 3 for each
// block of data. The reply to the final dot gets twice as long, the
// minimum of 10 minutes of §4.5.3.2.6.
const DefaultTimeout = 5 * time.Minute

// A Client sends messages. Its zero value is refused for want of HELO;
// every other field has a useful zero value. A Client is safe for
// concurrent use; it holds no connection between sends.
//
// A recipient's host is never dialled at a loopback, unspecified
// (0.0.0.0), link-local, multicast or broadcast address, whether its MX
// records or an address literal name it: the sender of a bounced message
// chooses the return path, and must not be able to turn a DSN on this
// host or its link. Such addresses are skipped, and a host with no other
// fails its recipients for good (5.4.4). Private addresses are dialled;
// a Dial that refuses them keeps mail off the internal network. NextHop,
// the Client's own setting, may be any address.
type Client struct {
	// Resolver finds MX hosts and their addresses (LookupMX,
	// LookupIPAddr), and must keep the spf.Resolver contract on errors.
	// nil means the servers of /etc/resolv.conf (resolver.System).
	Resolver spf.Resolver
	// NextHop, "host:port" or "[ip]:port", receives all mail, in one
	// transaction per send: no MX lookup. Dial resolves its host. A
	// NextHop without a port uses Port.
	NextHop string
	// Port is the port of MX hosts and address literals, "25" when
	// empty (RFC 5321 §4.5.4.1 names no other).
	Port string
	// HELO is the name the client gives in EHLO: a fully-qualified
	// domain name, or an address literal (RFC 5321 §4.1.1.1). Required.
	HELO string
	// Dial connects to "ip:port" (or the next hop's "host:port"); nil
	// means a net.Dialer. The context carries the timeout and ends a
	// pending dial when Send's context ends.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each dial, each reply and each write of data
	// (RFC 5321 §4.5.3.2); zero means DefaultTimeout. The reply to the
	// final dot may take twice as long.
	Timeout time.Duration
}

// Recipient is one RCPT TO with its DSN parameters (RFC 3461 §4.1, §4.2),
// which go to a server that offers DSN and are dropped for one that does
// not (RFC 3461 §5.2.2; a relay then owes NOTIFY=SUCCESS a "relayed" DSN,
// which is the caller's to send).
type Recipient struct {
	// Addr is the mailbox, without angle brackets.
	Addr string
	// Notify is the NOTIFY parameter; zero gives none.
	Notify dsn.Notify
	// ORCPT is the ORCPT parameter, of type "rfc822" (the default) or
	// "utf-8" (RFC 6533 §3); an empty Addr gives none.
	ORCPT dsn.Address
}

// Envelope is the SMTP envelope of a message.
type Envelope struct {
	// From is the reverse path, "" for the null path <> of a DSN or
	// notice (RFC 5321 §4.5.5).
	From string
	// To are the recipients, at least one. Recipients of one domain
	// share a transaction.
	To []Recipient
	// Ret and EnvID are the MAIL parameters RET and ENVID (RFC 3461
	// §4.3, §4.4, EnvID decoded), sent where DSN is offered.
	Ret   dsn.Ret
	EnvID string
	// SMTPUTF8 says the message needs SMTPUTF8 (RFC 6531): a server that
	// does not offer it gets nothing (RFC 6531 §3.4), a permanent failure
	// once every host has been tried. A non-ASCII address in From or To
	// needs it too, whatever this says.
	SMTPUTF8 bool
	// EightBit says the message has octets over 127 (RFC 6152): a server
	// that does not offer 8BITMIME gets nothing (RFC 6152 §3), as for
	// SMTPUTF8. A server that offers it gets BODY=8BITMIME either way.
	EightBit bool
}

// Send sends the message msg writes to every recipient of env: to the
// next hop, or to each recipient domain's MX hosts in turn until one
// settles the transaction (RFC 5321 §5.1: by MX preference, equal ones in
// random order; the domain itself when it has no MX). msg.WriteTo is
// called once for each transaction that reaches DATA, and must write the
// same message each time, with CRLF line endings: a msg that is an
// io.Seeker, such as a *strings.Reader or an *os.File, is sought back to
// where it stood first each time. Its own error ends that transaction
// without the final dot, a temporary failure.
//
// It returns nil when every recipient was accepted, else Errors. An
// invalid Client or env gives a *dsn.FieldError, wrapping
// ErrInvalidClient or ErrInvalidEnvelope, before anything is sent.
func (c *Client) Send(ctx context.Context, env Envelope, msg io.WriterTo) error {
	if err := c.check(); err != nil {
		return err
	}
	tx, err := newTransaction(&env, msg)
	if err != nil {
		return err
	}
	return c.send(ctx, tx)
}

// check refuses a Client it cannot use.
func (c *Client) check() error {
	if c.HELO == "" {
		return clientError("HELO", "required: the name to give in EHLO (RFC 5321 §4.1.1.1)")
	}
	if err := smtpsyntax.CheckDomain(c.HELO); err != nil {
		return clientError("HELO", err.Error())
	}
	if c.Port != "" && !isPort(c.Port) {
		return clientError("Port", "want a TCP port number, 1 to 65535")
	}
	if c.NextHop != "" {
		h, port, err := net.SplitHostPort(c.nextHop())
		if err != nil || !isPort(port) {
			return clientError("NextHop", `want "host:port" or "[ip]:port"`)
		}
		if _, err := netip.ParseAddr(h); err != nil {
			if err := smtpsyntax.CheckHostname(h); err != nil {
				return clientError("NextHop", err.Error())
			}
		}
	}
	if c.Timeout < 0 {
		return clientError("Timeout", "negative")
	}
	return nil
}

func isPort(s string) bool {
	p, err := strconv.ParseUint(s, 10, 16)
	return err == nil && p > 0
}

func clientError(field, rule string) error {
	return &dsn.FieldError{Err: ErrInvalidClient, Field: "Client." + field, Rule: rule}
}

func (c *Client) port() string {
	if c.Port == "" {
		return "25"
	}
	return c.Port
}

// nextHop is NextHop with Port added where it has none.
func (c *Client) nextHop() string {
	h := c.NextHop
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		return h + ":" + c.port() // "[ip]", bracketed already
	}
	return net.JoinHostPort(h, c.port())
}

func (c *Client) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}
