package policy

import (
	"context"
	"errors"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// spfVerdict finds the SPF verdict on the return path: recorded in the
// event, else recorded in a header field our host added, else evaluated
// now when allowed. A recorded temperror is evaluated again when allowed,
// since the DNS failure behind it may have passed (docs/design.md, rule 8).
func (p *Policy) spfVerdict(ctx context.Context, ev *Event, h header) (spf.Verdict, Source) {
	v, found := recordedVerdict(ev)
	if !found {
		v, found = p.headerVerdict(h, ev.ReturnPath)
	}
	if found && v.Result != spf.TempError {
		return v, SourceRecorded
	}
	if p.NoSPFReevaluation || !ev.ClientIP.IsValid() {
		if found {
			return v, SourceRecorded
		}
		// Nothing recorded and nothing to evaluate with: RFC 7208 §2.6.1,
		// no verifiable sending-domain policy.
		return spf.Verdict{Result: spf.None, Identity: spf.MailFrom, Domain: domainOf(ev.ReturnPath), Sender: ev.ReturnPath}, ""
	}
	return p.defaults().checker.Check(ctx, ev.ClientIP, ev.HELO, ev.ReturnPath), SourceEvaluated
}

// readsTraceFields reports whether rule 8 may look for a verdict in the
// original's trace fields: only then does the header scan keep them.
func (p *Policy) readsTraceFields(ev *Event) bool {
	return ev.SPF == "" && p.TrustRecordedHeaders && p.defaults().authservID != ""
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

// headerVerdict looks, when Policy.TrustRecordedHeaders allows it, for
// the verdict on the return path our own host recorded at receipt. Only
// the fields above our topmost Received field are ours: our MTA prepends
// that field (RFC 5321 §4.4) and places above it what it and its receipt
// milters add, while everything below came with the message, where a
// sender can write anything, our name included. So, walking top-down:
//
//   - the first Received field ends the walk; it must be by our host, or
//     nothing above it is known to be ours;
//   - a Received-SPF (RFC 7208 §9.1) or Authentication-Results (RFC 8601
//     §2.7.2) field that mentions our name must be ours and read exactly
//     (one receiver, no key twice, no ambiguous value), or the walk ends:
//     when in doubt, SPF is evaluated;
//   - the first such field with an SPF result decides: its verdict when it
//     is on the mailfrom identity of this return path, else none (RFC 8601
//     §5: fields below our first one are never trusted);
//   - an over-long field ends the walk.
func (p *Policy) headerVerdict(h header, returnPath string) (spf.Verdict, bool) {
	def := p.defaults()
	id := def.authservID
	if !p.TrustRecordedHeaders || id == "" {
		return spf.Verdict{}, false
	}
	var (
		v     spf.Verdict
		found bool
	)
	for _, f := range h.trace {
		if f.long {
			return spf.Verdict{}, false
		}
		if f.name == "Received" {
			return v, found && def.receivedByUs(f.value) && isAbout(v, returnPath)
		}
		if found || !containsFold(f.value, id) {
			continue
		}
		var err error
		switch v, err = ourVerdict(f, id); {
		case errors.Is(err, spf.ErrNoResult):
			// Ours, but on another method (dkim, say): read on.
		case err != nil:
			return spf.Verdict{}, false
		default:
			found = true
		}
	}
	return spf.Verdict{}, false // no Received field: nothing marks where ours end
}

// receivedByUs reports whether a Received field's value is our own host's:
// its by clause (RFC 5321 §4.4) names AuthservID or ReportingMTA. Nothing
// is ours while our name is unknown.
func (d *defaults) receivedByUs(value string) bool {
	by := mailsyntax.ReceivedBy(value)
	return d.authservID != "" && by != "" &&
		(strings.EqualFold(by, d.authservID) || strings.EqualFold(by, d.reportingMTA))
}

// errNotOurs reports a field that mentions our name but is another host's.
var errNotOurs = errors.New("policy: a trace field mentions our host but is not ours")

// ourVerdict reads the verdict of a Received-SPF or Authentication-Results
// field that our host id must have written.
func ourVerdict(f headerField, id string) (spf.Verdict, error) {
	if f.name == "Received-SPF" {
		v, receiver, err := spf.ParseReceivedSPF(f.value)
		if err == nil && !strings.EqualFold(receiver, id) {
			err = errNotOurs
		}
		return v, err
	}
	if !strings.EqualFold(mailsyntax.AuthservID(f.value), id) {
		return spf.Verdict{}, errNotOurs
	}
	return spf.ParseAuthenticationResults(f.value, id)
}

// containsFold reports whether s contains substr, ASCII case ignored.
func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
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
