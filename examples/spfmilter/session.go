package main

import (
	"context"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/d--j/go-milter"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// session is the milter side of one SMTP connection: the client's address
// and HELO, then, message by message, the SPF verdict and the arriving
// fields to delete. Nothing is shared with other sessions but the filter.
type session struct {
	milter.NoOpMilter
	f *filter

	// ip is the client's address; when it is not valid, noIP says why.
	ip   netip.Addr
	noIP string
	helo string

	// The message under way: its verdict, once MAIL FROM is known; why
	// it was not evaluated, if it was not; and the edits of its header.
	verdict spf.Verdict
	checked bool
	skipped string
	edits   fieldEdits
}

// The reasons a verdict is none without evaluation: SPF needs the client's
// IP address (RFC 7208 §4.1).
const (
	noConnect    = "no client IP address: the MTA sent no connection information"
	localSocket  = "no client IP address: the client connected over a local socket"
	unknownAddr  = "no client IP address: the MTA does not know the client's address"
	unreadableIP = "no client IP address: the MTA sent one that cannot be read"
	tooLong      = "not evaluated: the return path or HELO name is longer than RFC 5321 §4.5.3.1 allows, and is cut here"
	noMailFrom   = "no MAIL FROM: the MTA did not send the return path"
)

// RFC 5321 §4.5.3.1.3, §4.5.3.1.2: a reverse-path holds at most 256
// octets with its angle brackets, a domain 255. Within these, the fields
// spf renders fit a line (RFC 5322 §2.1.1).
const (
	maxPath   = 256 - len("<>")
	maxDomain = 255
)

// NewConnection starts a connection afresh, also when the MTA reuses the
// milter connection for another SMTP connection.
func (s *session) NewConnection(milter.Modifier) error {
	*s = session{f: s.f, noIP: noConnect}
	return nil
}

// Connect takes the client's address. go-milter names the family "tcp4"
// or "tcp6" when the MTA sent an IP address, "unix" for a local socket,
// "unknown" when the MTA does not know.
func (s *session) Connect(_, family string, _ uint16, addr string, _ milter.Modifier) (*milter.Response, error) {
	s.ip, s.noIP = netip.Addr{}, ""
	switch family {
	case "tcp4", "tcp6":
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			s.noIP = unreadableIP
			break
		}
		// RFC 7208 §5: an IPv4-mapped IPv6 address is checked, and so
		// recorded, as the IPv4 address it is.
		s.ip = ip.Unmap().WithZone("")
	case "unix":
		s.noIP = localSocket
	default:
		s.noIP = unknownAddr
	}
	return milter.RespContinue, nil
}

// Helo takes the HELO/EHLO name; after STARTTLS the client says it again.
func (s *session) Helo(name string, _ milter.Modifier) (*milter.Response, error) {
	s.helo = name
	return milter.RespContinue, nil
}

// MailFrom checks SPF for the return path and, when the flags say so,
// refuses a fail or a temperror at once.
func (s *session) MailFrom(from, _ string, m milter.Modifier) (*milter.Response, error) {
	s.resetMessage()
	s.verdict, s.skipped = s.check(from)
	s.checked = true
	switch {
	case s.verdict.Result == spf.Fail && s.f.cfg.rejectFail:
		s.logVerdict(m, "reject")
		return failResponse(s.verdict)
	case s.verdict.Result == spf.TempError && s.f.cfg.tempfailTemperror:
		s.logVerdict(m, "tempfail")
		return tempErrorResponse(s.verdict)
	}
	return milter.RespContinue, nil
}

// check evaluates SPF for the return path from (without its angle
// brackets; "" for the null sender), within the -timeout. When it cannot,
// the verdict is none and skipped says why (RFC 7208 §4.1: SPF needs the
// client's address; §4.3: a malformed domain gives none).
func (s *session) check(from string) (v spf.Verdict, skipped string) {
	switch {
	case !s.ip.IsValid():
		skipped = s.noIP
	case len(from) > maxPath || len(s.helo) > maxDomain:
		skipped = tooLong
	default:
		ctx, cancel := context.WithTimeout(context.Background(), s.f.cfg.timeout)
		defer cancel()
		if from == "" {
			// RFC 7208 §2.4: the null sender has no domain of its own;
			// its identity is the HELO name's (§2.3).
			return s.f.checker.CheckHELO(ctx, s.ip, s.helo), ""
		}
		return s.f.checker.Check(ctx, s.ip, s.helo, from), ""
	}
	return spf.Verdict{
		Result:   spf.None,
		Identity: identity(from),
		Domain:   truncate(domainOf(from, s.helo), maxDomain),
		Sender:   truncate(senderOf(from, s.helo), maxPath),
		ClientIP: s.ip,
		HELO:     truncate(s.helo, maxDomain),
	}, skipped
}

// identity is the identity checked for the return path from: HELO for the
// null sender (RFC 7208 §2.3, §2.4), else MAIL FROM.
func identity(from string) spf.Identity {
	if from == "" {
		return spf.HELO
	}
	return spf.MailFrom
}

// senderOf is the address whose policy is checked: the return path, or
// postmaster@ the HELO name for the null sender (RFC 7208 §2.4).
func senderOf(from, helo string) string {
	if from == "" {
		return "postmaster@" + helo
	}
	return from
}

// domainOf is the domain whose policy is checked: the return path's, or
// the HELO name for the null sender.
func domainOf(from, helo string) string {
	if from == "" {
		return helo
	}
	return from[strings.LastIndexByte(from, '@')+1:]
}

// Header notes an arriving field to delete: a Received-SPF or
// Authentication-Results field that claims our authserv-id.
func (s *session) Header(name, value string, _ milter.Modifier) (*milter.Response, error) {
	s.edits.see(name, value, s.f.cfg.authservID)
	return milter.RespContinue, nil
}

// EndOfMessage deletes the fields that claim our name and adds ours at
// the top of the header. An error closes the milter connection: the MTA
// then applies milter_default_action, tempfail, rather than accept the
// message unmarked.
func (s *session) EndOfMessage(m milter.Modifier) (*milter.Response, error) {
	if !s.checked {
		// No MAIL FROM event: the MTA left it out. Nothing to check.
		s.verdict, s.skipped = spf.Verdict{Result: spf.None}, noMailFrom
	}
	rs, ar := recordFields(s.verdict, s.f.cfg.authservID, s.skipped)
	if err := s.edits.apply(m, rs, ar); err != nil {
		return nil, err
	}
	s.logVerdict(m, "record")
	s.resetMessage()
	return milter.RespAccept, nil
}

// Abort forgets the message under way; the connection goes on.
func (s *session) Abort(milter.Modifier) error {
	s.resetMessage()
	return nil
}

func (s *session) resetMessage() {
	s.verdict, s.checked, s.skipped = spf.Verdict{}, false, ""
	s.edits.reset()
}

// logVerdict logs the verdict on the message and what was done about it.
func (s *session) logVerdict(m milter.Modifier, action string) {
	v := s.verdict
	attrs := []any{"queue_id", m.Get(milter.MacroQueueId), "action", action, "result", string(v.Result),
		"identity", string(v.Identity), "sender", v.Sender, "helo", s.helo}
	if s.ip.IsValid() {
		attrs = append(attrs, "client_ip", s.ip.String())
	}
	if s.skipped != "" {
		attrs = append(attrs, "reason", s.skipped)
	}
	if action == "record" {
		attrs = append(attrs, "deleted", s.edits.deletedSummary())
	}
	s.f.log.Info("spf", attrs...)
}

// maxReplyText bounds the explanation in a reply: a reply line holds 512
// octets with its code and CRLF (RFC 5321 §4.5.3.1.5).
const maxReplyText = 400

// failResponse rejects SPF fail: 550 with 5.7.23 (RFC 7208 §8.4, RFC
// 7372 §3.2) and the domain's explanation (RFC 7208 §6.2).
func failResponse(v spf.Verdict) (*milter.Response, error) {
	text := v.Explanation
	if text == "" {
		text = "SPF validation failed: the domain of " + v.Sender + " does not designate " + v.ClientIP.String() + " as permitted sender"
	}
	return milter.RejectWithCodeAndReason(550, "5.7.23 "+replyText(text))
}

// tempErrorResponse answers SPF temperror: 451 with 4.7.24 (RFC 7208
// §8.6, RFC 7372 §3.2).
func tempErrorResponse(v spf.Verdict) (*milter.Response, error) {
	return milter.RejectWithCodeAndReason(451, "4.7.24 "+replyText("SPF validation error: temporary DNS failure checking the policy of "+v.Domain+"; try again later"))
}

// replyText makes text, which the sender's DNS wrote, fit one reply line:
// controls (a line break would end the reply) and invalid UTF-8 become
// "?", and the text is cut at maxReplyText bytes.
func replyText(text string) string {
	text = strings.Map(func(r rune) rune {
		if mailsyntax.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(text, "?"))
	return truncate(text, maxReplyText)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
