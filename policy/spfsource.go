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
	return p.checker().Check(ctx, ev.ClientIP, ev.HELO, ev.ReturnPath), SourceEvaluated
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

// headerVerdict looks for a Received-SPF (RFC 7208 §9.1) or
// Authentication-Results (RFC 8601 §2.7.2) field our own host added, about
// the return path. Fields naming another host are never trusted: anyone
// can write them. Ours are the topmost, and the MTA is expected to remove
// forged ones claiming our name at receipt (RFC 8601 §5).
func (p *Policy) headerVerdict(h header, returnPath string) (spf.Verdict, bool) {
	id := p.authservID()
	for _, value := range h.values("Received-SPF") {
		v, receiver, err := spf.ParseReceivedSPF(value)
		if err == nil && strings.EqualFold(receiver, id) && isAbout(v, returnPath) {
			return v, true
		}
	}
	for _, value := range h.values("Authentication-Results") {
		v, err := spf.ParseAuthenticationResults(value, id)
		if err == nil && isAbout(v, returnPath) {
			return v, true
		}
	}
	return spf.Verdict{}, false
}

// isAbout reports whether v is a verdict on the return path: the HELO
// identity, or another sender, says nothing about it (RFC 7208 §2.3, §2.4).
func isAbout(v spf.Verdict, returnPath string) bool {
	if v.Identity != "" && v.Identity != spf.MailFrom {
		return false
	}
	if v.Domain != "" && !strings.EqualFold(v.Domain, domainOf(returnPath)) {
		return false
	}
	return v.Sender == "" || strings.EqualFold(v.Sender, returnPath)
}

// domainOf returns the domain of an address.
func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}
