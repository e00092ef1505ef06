package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

// sessionTimeout bounds the wait for each command and each write to the
// MTA: the 5 minutes RFC 5321 §4.5.3.2.7 gives a server. A client that
// stalls longer loses its session, so a hostile one cannot hold sessions
// open for ever.
const sessionTimeout = 5 * time.Minute

// sessionLifetime bounds a whole session. sessionTimeout is per command,
// so a client that sends a NOOP every few minutes would keep its session,
// and its slot of -max-sessions, for ever: enough of them, and the MTA's
// DSNs wait unserved. MTAs reuse a session for minutes (Postfix:
// smtp_connection_reuse_time_limit, 300 s); this leaves room for
// several commands at sessionTimeout, DATA and the longest -timeout.
var sessionLifetime = 30 * time.Minute

// relayer sends mail on: *deliver.Client.
type relayer interface {
	Send(ctx context.Context, env deliver.Envelope, msg io.WriterTo) error
	SendMessage(ctx context.Context, m *policy.Message) error
}

var _ relayer = (*deliver.Client)(nil)

// gate decides the DSNs the MTA hands it and relays the rest. Every
// session shares it, read-only; Policy and deliver.Client are safe for
// concurrent use.
type gate struct {
	cfg   config
	pol   *policy.Policy
	relay relayer
	log   *slog.Logger
}

// newServer returns the SMTP server of the gate, with its limits.
func (g *gate) newServer() *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{g: g, client: c.Conn().RemoteAddr().String()}, nil
	}))
	s.Domain = g.cfg.hostname
	s.MaxMessageBytes = g.cfg.maxSize
	// go-smtp's default line limit (2,000 octets) holds in DATA too, and
	// a longer line there is answered 554: genuine mail relayed unwrapped
	// (qmail, Exim) bounced. RFC 5321 §4.5.3.1: a server should impose no
	// limit where it can; a line, command or text, is bounded by -max-size
	// as the message is, so memory stays as bounded as before.
	s.MaxLineLength = int(max(g.cfg.maxSize, 2000))
	// RFC 5321 §4.5.3.1.8: 100 recipients is the minimum a server must
	// take; the gate takes one per transaction and answers the rest 452.
	s.MaxRecipients = 100
	s.ReadTimeout = sessionTimeout
	s.WriteTimeout = sessionTimeout
	// The gate passes DSN parameters, SMTPUTF8 and 8BITMIME through to the
	// next hop, which may refuse them there.
	s.EnableDSN = true
	s.EnableSMTPUTF8 = true
	s.ErrorLog = slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)
	return s
}

// session is one SMTP session from the MTA: one transaction at a time,
// with one recipient.
type session struct {
	g      *gate
	client string

	mail     bool
	from     string
	mailOpts smtp.MailOptions
	rcpt     string
	rcptOpts smtp.RcptOptions
}

// Replies of the gate's own, as go-smtp writes them.
var (
	// RFC 5321 §4.5.3.1.10: 452 for too many recipients, which the
	// client then sends in another transaction (§3.3); so every reply
	// after DATA is one recipient's.
	errOneRecipient = smtpErr(452, "4.5.3", "one recipient per transaction, send the next in a new one")
	errBadSender    = smtpErr(553, "5.1.7", "bad sender address syntax")
	errBadRecipient = smtpErr(553, "5.1.3", "bad recipient address syntax")
	errNoRecipient  = smtpErr(554, "5.5.1", "no valid recipients")
)

// smtpErr is a reply; enhanced is "x.y.z" (RFC 3463).
func smtpErr(code int, enhanced, text string) *smtp.SMTPError {
	ec := smtp.EnhancedCodeNotSet
	if st, err := dsn.ParseStatus(enhanced); err == nil {
		ec = smtp.EnhancedCode(st.Triple())
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}
}

// Mail starts a transaction.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if from != "" {
		if err := smtpsyntax.CheckMailbox(from, opts != nil && opts.UTF8); err != nil {
			return errBadSender
		}
	}
	s.Reset()
	s.mail, s.from = true, from
	if opts != nil {
		s.mailOpts = *opts
	}
	return nil
}

// Rcpt takes the transaction's one recipient.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if s.rcpt != "" {
		return errOneRecipient
	}
	if err := smtpsyntax.CheckMailbox(to, s.mailOpts.UTF8); err != nil {
		return errBadRecipient
	}
	s.rcpt = to
	if opts != nil {
		s.rcptOpts = *opts
	}
	return nil
}

// Data reads the message, at most MaxMessageBytes (go-smtp answers 552
// over it, RFC 5321 §4.5.3.1.10), then decides or relays it; the reply
// is the one recipient's outcome.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.rcpt == "" {
		return errNoRecipient
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.g.cfg.timeout)
	defer cancel()
	return s.g.handle(ctx, s.g.log.With("client", s.client), s.envelope(), data)
}

// envelope is the transaction's envelope, for deliver.
func (s *session) envelope() deliver.Envelope {
	notify, _ := dsn.ParseNotify(notifyWords(s.rcptOpts.Notify))
	rc := deliver.Recipient{Addr: s.rcpt, Notify: notify}
	if s.rcptOpts.OriginalRecipient != "" {
		rc.ORCPT = dsn.Address{Type: strings.ToLower(string(s.rcptOpts.OriginalRecipientType)), Addr: s.rcptOpts.OriginalRecipient}
	}
	return deliver.Envelope{
		From:     s.from,
		To:       []deliver.Recipient{rc},
		Ret:      dsn.Ret(s.mailOpts.Return),
		EnvID:    s.mailOpts.EnvelopeID,
		SMTPUTF8: s.mailOpts.UTF8,
		EightBit: s.mailOpts.Body == smtp.Body8BitMIME,
	}
}

// notifyWords joins NOTIFY's keywords as the parameter has them.
func notifyWords(n []smtp.DSNNotify) string {
	words := make([]string, len(n))
	for i, w := range n {
		words[i] = string(w)
	}
	return strings.Join(words, ",")
}

// Reset ends the transaction.
func (s *session) Reset() {
	s.mail, s.from, s.rcpt = false, "", ""
	s.mailOpts, s.rcptOpts = smtp.MailOptions{}, smtp.RcptOptions{}
}

// Logout ends the session.
func (s *session) Logout() error { return nil }

// handle decides a DSN the MTA wrote, or relays a message that is none
// (or another MTA's DSN, forwarded by ours), and returns
// the reply to give: nil for 250.
func (g *gate) handle(ctx context.Context, log *slog.Logger, env deliver.Envelope, data []byte) error {
	rcpt := env.To[0].Addr
	log = log.With("from", env.From, "to", rcpt)
	if env.From != "" {
		// RFC 3464 §2: a DSN has the null reverse path; mail with
		// another is not ours to decide.
		return g.forward(ctx, log, env, data, "relayed")
	}
	r, err := dsn.Parse(bytes.NewReader(data))
	if errors.Is(err, dsn.ErrNotDSN) {
		// An auto-reply, an MDN: null-sender mail that is no DSN.
		return g.forward(ctx, log, env, data, "relayed")
	}
	if err != nil {
		log.Warn("kept: unreadable DSN", "err", err)
		return smtpErr(451, "4.6.0", "cannot read the DSN: kept for later")
	}
	if !g.ours(r) {
		// RFC 3464 §2.2.2: Reporting-MTA names the MTA that wrote the
		// DSN. Another's, arriving from outside and forwarded by ours,
		// is not our MTA's bounce: relayed undecided, as other
		// null-sender mail. Deciding it would trust a client its sender
		// wrote, and drop genuine DSNs forwarded to our users. Logged at
		// WARN: an -authserv-id that is not the MTA's Reporting-MTA would
		// let all of its DSNs through undecided.
		log.Warn("another MTA's DSN: relayed undecided", "reporting_mta", r.ReportingMTA, "ours", g.pol.AuthservID)
		return g.forward(ctx, log, env, data, "relayed", "reporting_mta", r.ReportingMTA)
	}
	ev, err := g.pol.EventFromReport(r, rcpt)
	if err != nil {
		log.Warn("kept: no event from the DSN", "err", err)
		return smtpErr(451, "4.6.0", "cannot decide on the DSN: kept for later")
	}
	d, err := g.pol.Decide(ctx, ev)
	if err != nil {
		log.Warn("kept: no decision", "err", err)
		return smtpErr(451, "4.3.0", "cannot decide on the DSN now: try again later")
	}
	switch d.Action {
	case policy.Bounce:
		// The MTA's own DSN goes on as written: the decision only lets
		// it pass (the policy's composed d.DSN is not used).
		return g.forward(ctx, log, env, data, "bounced", "reason", string(d.Reason))
	case policy.Drop:
		return g.drop(ctx, log, d)
	case policy.Defer:
		log.Info("deferred", "reason", string(d.Reason), "retry_at", d.RetryAt)
		// RFC 7208 §8.6: a temperror may clear; the MTA keeps the DSN
		// and offers it again.
		return smtpErr(451, "4.4.3", fmt.Sprintf("bounce decision deferred (%s): try again later", d.Reason))
	}
	log.Warn("kept: unexpected decision", "decision", d.String())
	return smtpErr(451, "4.3.0", "cannot decide on the DSN now: try again later")
}

// ours reports whether the MTA behind the gate wrote the DSN: its
// Reporting-MTA is the policy's AuthservID or ReportingMTA, the MTA's
// host name, in any case (RFC 1035 §2.3.3), a root dot aside.
func (g *gate) ours(r *dsn.Report) bool {
	name := strings.TrimSuffix(r.ReportingMTA, ".")
	return name != "" && (strings.EqualFold(name, g.pol.AuthservID) || strings.EqualFold(name, g.pol.ReportingMTA))
}

// drop answers a dropped DSN: 250 once the postmaster notice, if any, is
// sent. A notice that fails for now keeps the DSN queued at the MTA,
// which offers it again: the drop is never silent.
func (g *gate) drop(ctx context.Context, log *slog.Logger, d policy.Decision) error {
	if d.Notice == nil {
		log.Info("dropped", "reason", string(d.Reason))
		return nil
	}
	err := g.relay.SendMessage(ctx, d.Notice)
	switch {
	case err == nil:
		log.Info("dropped", "reason", string(d.Reason), "notice_to", d.Notice.RcptTo)
		return nil
	case errors.Is(err, deliver.ErrTemporary):
		log.Warn("kept: notice not sent", "reason", string(d.Reason), "notice_to", d.Notice.RcptTo, "err", err)
		return smtpErr(451, "4.3.0", "the postmaster notice of this drop cannot be sent now: try again later")
	}
	// Trying again would not help: the drop stays in this log.
	log.Error("dropped, notice refused", "reason", string(d.Reason), "notice_to", d.Notice.RcptTo, "err", err)
	return nil
}

// forward relays the message to the next hop, or the recipient's MX, and
// returns the reply that stands for the relay's: nil when accepted.
func (g *gate) forward(ctx context.Context, log *slog.Logger, env deliver.Envelope, data []byte, what string, attrs ...any) error {
	err := g.relay.Send(ctx, env, bytes.NewReader(data))
	if err == nil {
		log.Info(what, attrs...)
		return nil
	}
	reply := relayReply(err)
	log.Warn("not "+what, append(attrs, "reply", reply.Error(), "err", err)...)
	return reply
}

// relayReply is the reply to the MTA for a failed relay: the next hop's
// own 5xx reply, since the failure is final (RFC 5321 §4.2.1); 5.x.x
// for a final failure without one (a domain without mail, an address the
// next hop cannot take); 451 for everything else, so that the MTA keeps
// the message.
func relayReply(err error) *smtp.SMTPError {
	var de *deliver.Error
	switch {
	case errors.Is(err, deliver.ErrInvalidEnvelope):
		return smtpErr(553, "5.1.3", "cannot relay this envelope: "+clean(err.Error()))
	case !errors.Is(err, deliver.ErrPermanent) || !errors.As(err, &de):
		return smtpErr(451, "4.4.0", "cannot relay now, try again later: "+clean(err.Error()))
	case de.Code >= 500 && de.Code < 600:
		return smtpErr(de.Code, orStatus(de.EnhancedCode, "5.0.0"), clean(de.Host+" said: "+de.Text))
	}
	return smtpErr(550, orStatus(de.EnhancedCode, "5.0.0"), clean(de.Error()))
}

// orStatus is s when it is an enhanced code of class 5, else def.
func orStatus(s, def string) string {
	if st, err := dsn.ParseStatus(s); err == nil && st.Class == 5 {
		return s
	}
	return def
}

// maxReplyText keeps a reply line within 512 octets (RFC 5321
// §4.5.3.1.5) with its code and enhanced code.
const maxReplyText = 400

// clean makes text from the network one reply line: printable ASCII, at
// most maxReplyText long.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxReplyText {
		s = s[:maxReplyText-3] + "..."
	}
	return s
}
