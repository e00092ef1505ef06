package dsn

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 3464 §2.3.6: a local failure keeps its reason as "type; text" with
// a type of its own and no Remote-MTA; the human-readable part shows every
// recipient's diagnostic, and Parse reads it back.
func TestComposeLocalDiagnosticRFC3464Section2_3_6(t *testing.T) {
	r := failureReport()
	remote := r.Recipients[0]
	r.Recipients = []Recipient{
		{FinalRecipient: Address{Addr: "loop@hosted.example"}, Action: ActionFailed, Status: Status{5, 4, 6},
			DiagnosticType: "X-Postfix", DiagnosticCode: "mail for hosted.example loops back to myself"},
		{FinalRecipient: Address{Addr: "locked@hosted.example"}, Action: ActionDelayed, Status: Status{4, 2, 1},
			DiagnosticType: "x-local", DiagnosticCode: "mailbox locked; will retry"},
		remote,
		{FinalRecipient: Address{Addr: "smtp@hosted.example"}, Action: ActionFailed, DiagnosticCode: "554 5.0.0 relay said no"},
	}
	rb, _, raw := composeOK(t, r, "", testOptions())
	wantDiag := []string{
		"X-Postfix; mail for hosted.example loops back to myself",
		"x-local; mailbox locked; will retry",
		"smtp; " + remote.DiagnosticCode,
		"smtp; 554 5.0.0 relay said no",
	}
	text := string(rb.parts[0].body)
	for i, rc := range r.Recipients {
		assert.Equal(t, wantDiag[i], rb.recipient(i).Get("Diagnostic-Code"))
		assert.Equal(t, rc.RemoteMTA != MTA{}, rb.recipient(i).Get("Remote-MTA") != "", "Remote-MTA only with one")
		assert.Contains(t, text, "<"+rc.FinalRecipient.Addr+">: "+string(rc.Action)+" ("+statusFor(&rc).String()+"): "+rc.DiagnosticCode+"\r\n")
	}

	back, err := Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Len(t, back.Recipients, len(r.Recipients))
	for i, rc := range r.Recipients {
		typ := strings.ToLower(rc.DiagnosticType)
		if typ == "" {
			typ = "smtp"
		}
		assert.Equal(t, typ, back.Recipients[i].DiagnosticType)
		assert.Equal(t, rc.DiagnosticCode, back.Recipients[i].DiagnosticCode)
		assert.Equal(t, rc.RemoteMTA, back.Recipients[i].RemoteMTA)
	}
}

// RFC 3464 §2.3.6: the type is an atom (RFC 3464 §2.1) that fits on a
// line, and the text one safe header line.
func TestComposeRefusesBadDiagnosticRFC3464Section2_3_6(t *testing.T) {
	for _, tt := range []struct {
		field    string
		typ      string
		code     string
		smtputf8 bool
	}{
		{"DiagnosticType", "x local", "reason", false},
		{"DiagnosticType", "x;local", "reason", false},
		{"DiagnosticType", "x-lokál", "reason", true},
		{"DiagnosticType", "x-local\r\nStatus: 2.0.0", "reason", false},
		{"DiagnosticType", "x-" + strings.Repeat("l", maxWordLen), "reason", false},
		{"DiagnosticCode", "x-local", "quota\r\nAction: delivered", false},
		{"DiagnosticCode", "x-local", "quota\x00", false},
		{"DiagnosticCode", "x-local", "quota\u0085exceeded", true},
		{"DiagnosticCode", "x-local", "quota\u2028Action: delivered", true},
		{"DiagnosticCode", "x-local", "quota dépassé", false},
		{"DiagnosticCode", "x-local", "quota" + strings.Repeat(" ", maxWordLen+1) + "exceeded", false},
	} {
		r := failureReport()
		r.SMTPUTF8 = tt.smtputf8
		r.Recipients[0].RemoteMTA = MTA{}
		r.Recipients[0].DiagnosticType, r.Recipients[0].DiagnosticCode = tt.typ, tt.code
		fe := composeErr(t, r, tt.typ+"; "+tt.code)
		assert.Equal(t, "Recipients[0]."+tt.field, fe.Field, "%q; %q", tt.typ, tt.code)
	}
}
