package policy

import (
	"context"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// spfVerdict finds the SPF verdict on the return path: recorded in the
// event, else recorded in a header field our host added, else evaluated
// now when allowed. A recorded temperror is evaluated again when allowed,
// since the DNS failure behind it may have passed (DESIGN rule 8).
func (p *Policy) spfVerdict(ctx context.Context, ev *Event, h header) (spf.Verdict, Source) {
	v, found := recordedVerdict(ev)
	if !found {
		v, found = p.headerVerdict(h, ev.ReturnPath)
	}
	if found && v.Result != spf.TempError {
		return v, SourceRecorded
	}
	if p.NoSPFEvaluation || !ev.ClientIP.IsValid() {
		if found {
			return v, SourceRecorded
		}
		// Nothing recorded and nothing to evaluate with: RFC 7208 §2.6.1,
		// no verifiable sending-domain policy.
		return spf.Verdict{Result: spf.None, Identity: spf.MailFrom, Domain: domainOf(ev.ReturnPath), Sender: ev.ReturnPath}, ""
	}
	return p.defaults().checker.Check(ctx, ev.ClientIP, ev.HELO, ev.ReturnPath), SourceEvaluated
}

// recordedVerdict is the verdict recorded in the event, if any.
func recordedVerdict(ev *Event) (spf.Verdict, bool) {
	if ev.SPF == "" {
		return spf.Verdict{}, false
	}
	return spf.Verdict{
		Result:   ev.SPF,
		Identity: spf.MailFrom,
		Domain:   domainOf(ev.ReturnPath),
		Sender:   ev.ReturnPath,
		ClientIP: ev.ClientIP,
		HELO:     ev.HELO,
	}, true
}

// headerVerdict looks for the verdict on the return path our own host
// recorded at receipt, walking the trace fields top-down (each host
// prepends its own, RFC 5321 §4.4):
//
//   - a Received field "by" another host ends the walk: everything below
//     came from outside, and anyone can write anything there;
//   - the first Received-SPF (RFC 7208 §9.1) or Authentication-Results
//     (RFC 8601 §2.7.2) field naming our host decides: its verdict when it
//     is on the mailfrom identity of this return path, else none (RFC 8601
//     §5: fields below our first one are never trusted);
//   - an over-long field, or ours unreadable, ends the walk: when in
//     doubt, SPF is evaluated.
func (p *Policy) headerVerdict(h header, returnPath string) (spf.Verdict, bool) {
	def := p.defaults()
	id := def.authservID
	if id == "" {
		return spf.Verdict{}, false
	}
	for _, f := range h.trace {
		if f.long {
			return spf.Verdict{}, false
		}
		switch f.name {
		case "Received":
			if by := receivedBy(f.value); !strings.EqualFold(by, id) && !strings.EqualFold(by, def.reportingMTA) {
				return spf.Verdict{}, false
			}
		case "Received-SPF":
			v, receiver, err := spf.ParseReceivedSPF(f.value)
			if err == nil && strings.EqualFold(receiver, id) {
				return v, isAbout(v, returnPath)
			}
		case "Authentication-Results":
			if strings.EqualFold(authservIDOf(f.value), id) {
				v, err := spf.ParseAuthenticationResults(f.value, id)
				return v, err == nil && isAbout(v, returnPath)
			}
		}
	}
	return spf.Verdict{}, false
}

// authservIDOf returns the authserv-id of an Authentication-Results field
// value (RFC 8601 §2.2), unquoted, or "".
func authservIDOf(value string) string {
	head, _, _ := strings.Cut(stripComments(value), ";")
	words := strings.Fields(head)
	if len(words) == 0 {
		return ""
	}
	return strings.Trim(words[0], `"`)
}

// isAbout reports whether v is a verdict on the return path: on the
// mailfrom identity, naming this sender or, when it gives only a domain,
// its domain. A HELO verdict, another sender's, or one naming no identity
// says nothing about it (RFC 7208 §2.3, §2.4).
func isAbout(v spf.Verdict, returnPath string) bool {
	switch {
	case v.Identity != spf.MailFrom:
		return false
	case v.Sender != "":
		return strings.EqualFold(v.Sender, returnPath)
	}
	return v.Domain != "" && strings.EqualFold(v.Domain, domainOf(returnPath))
}

// domainOf returns the domain of an address.
func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}
