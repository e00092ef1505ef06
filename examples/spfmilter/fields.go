package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/d--j/go-milter"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// The fields the milter writes, and deletes when they arrive claiming to
// be its own.
const (
	receivedSPF = "Received-SPF"           // RFC 7208 §9.1
	authResults = "Authentication-Results" // RFC 8601 §2
)

// fieldEdits collects, as the header streams past, the arriving fields to
// delete. The MTA numbers fields per name, from 1, in the order it sent
// them (the milter protocol's SMFIR_CHGHEADER index).
type fieldEdits struct {
	seenRS, seenAR int
	deletions      []fieldRef
}

// fieldRef is the index-th field called name, and why it goes.
type fieldRef struct {
	name  string
	index int
	why   string
}

func (e *fieldEdits) reset() { *e = fieldEdits{deletions: e.deletions[:0]} }

// see looks at one arriving field and notes it for deletion when it
// claims the authserv-id id.
func (e *fieldEdits) see(name, value, id string) {
	var (
		canonical string
		index     int
		why       string
	)
	// RFC 5322 §4.5.1: obsolete WSP may stand before the colon, and the
	// policy's reader, like Postfix's is_header, takes the name without
	// it; Postfix and Sendmail strip it, another MTA may not.
	name = strings.TrimRight(name, " \t")
	switch {
	case strings.EqualFold(name, receivedSPF):
		e.seenRS++
		canonical, index, why = receivedSPF, e.seenRS, receivedSPFClaim(value, id)
	case strings.EqualFold(name, authResults):
		e.seenAR++
		canonical, index, why = authResults, e.seenAR, authResultsClaim(value, id)
	}
	if why != "" {
		e.deletions = append(e.deletions, fieldRef{canonical, index, why})
	}
}

// receivedSPFClaim says why a Received-SPF value claims to be written by
// the host id, or "" when it does not.
//
// RFC 7208 §9.1 names the writer in the receiver= key; fields that lack
// the key name it by custom at the start of the comment, "(mybox.example.org:
// domain of ...)", as §9.1's own example does, and readers take it from
// there. So a readable field is ours when receiver= names us, or when it
// has no receiver= and mentions us. A field that cannot be read but
// mentions us goes too: a lenient reader could still take it for ours,
// and nothing we vouch for is lost, since our own field is added anew.
func receivedSPFClaim(value, id string) string {
	_, receiver, err := spf.ParseReceivedSPF(value)
	switch {
	case err == nil && receiver != "":
		if sameHost(receiver, id) {
			return "receiver= names us"
		}
	case !mentions(value, id):
	case err == nil:
		return "no receiver=, and it mentions us"
	default:
		return "unreadable, and it mentions us"
	}
	return ""
}

// authResultsClaim says why an Authentication-Results value claims to be
// written by the host id, or "" when it does not.
//
// RFC 8601 §5: fields that arrive with our authserv-id are forgeries, to
// be deleted. The authserv-id is read as mailsyntax.AuthservID does, and
// as spf.ParseAuthenticationResults reads it, unquoting and unescaping. A
// field whose authserv-id cannot be read at all, but that mentions us, goes
// too, as an unreadable Received-SPF does.
func authResultsClaim(value, id string) string {
	authservID := mailsyntax.AuthservID(value)
	_, err := spf.ParseAuthenticationResults(value, id)
	switch {
	case sameHost(authservID, id), err == nil:
		return "authserv-id is ours"
	case !mentions(value, id):
	case errors.Is(err, spf.ErrMalformedHeader), authservID == "":
		return "unreadable, and it mentions us"
	}
	return ""
}

// sameHost reports whether the authserv-id or receiver a names the host
// id: ASCII case ignored (RFC 1035 §2.3.3), and a trailing dot too, the
// same domain written absolute (RFC 1034 §3.1), which a reader comparing
// domains as DNS does would take for ours.
func sameHost(a, id string) bool {
	return a != "" && strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(id, "."))
}

// mentions reports whether value holds id, ASCII case ignored: a host
// name is ASCII (RFC 1035 §2.3.1).
func mentions(value, id string) bool {
	return strings.Contains(strings.ToLower(value), strings.ToLower(id))
}

// apply deletes the noted fields and then adds ours, Received-SPF value
// rs and Authentication-Results value ar, at the top of the header
// (RFC 7208 §9.1, RFC 8601 §5), Authentication-Results first.
func (e *fieldEdits) apply(m milter.Modifier, rs, ar string) error {
	// Postfix renumbers the fields that follow a deleted one: delete from
	// the last, and before inserting, which would shift the numbers.
	for i := len(e.deletions) - 1; i >= 0; i-- {
		d := e.deletions[i]
		if err := m.ChangeHeader(d.index, d.name, ""); err != nil {
			return fmt.Errorf("deleting %s #%d: %w", d.name, d.index, err)
		}
	}
	if err := m.InsertHeader(0, receivedSPF, rs); err != nil {
		return fmt.Errorf("adding %s: %w", receivedSPF, err)
	}
	if err := m.InsertHeader(0, authResults, ar); err != nil {
		return fmt.Errorf("adding %s: %w", authResults, err)
	}
	return nil
}

// deletedSummary lists the deleted fields for the log: "Received-SPF#2
// (receiver= names us)", comma-separated, or "".
func (e *fieldEdits) deletedSummary() string {
	var b strings.Builder
	for i, d := range e.deletions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s#%d (%s)", d.name, d.index, d.why)
	}
	return b.String()
}

// recordFields renders the values of our Received-SPF and
// Authentication-Results fields for v, written by the host id. When the
// verdict was not evaluated, reason says why, in place of the words spf
// gives the result: in Received-SPF's comment (RFC 7208 §9.1) and in a
// comment of Authentication-Results (RFC 8601 §2.2 allows one there).
func recordFields(v spf.Verdict, id, reason string) (rs, ar string) {
	rs, ar = v.ReceivedSPF(id), v.AuthenticationResults(id)
	if reason == "" {
		return rs, ar
	}
	// reason is our own text, free of the characters a comment quotes.
	ar += " (" + reason + ")"
	result := string(v.Result)
	if strings.HasPrefix(rs, result+" (") {
		end, _ := mailsyntax.SkipCFWS(rs, len(result))
		with := result + " (" + id + ": " + reason + ")"
		if kv := rs[end:]; kv != "" {
			with += " " + kv
		}
		// RFC 5322 §2.1.1: the field is one line of at most 998 characters.
		if len(receivedSPF+": ")+len(with) <= 998 {
			rs = with
		}
	}
	return rs, ar
}
