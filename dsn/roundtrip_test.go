package dsn

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripOptions fixes the clock and the identifiers Compose would draw.
var roundTripOptions = ComposeOptions{
	Now:       func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) },
	MessageID: func() string { return "fixed.1@mx.example.net" },
}

// roundTrip composes r, parses the result and checks that every field came
// back as Compose wrote it. It reports false when Compose rejects r.
func roundTrip(t *testing.T, r *Report, original []byte, opts ComposeOptions) bool {
	t.Helper()
	var orig io.Reader // nil, not a nil *bytes.Reader, when there is none
	if original != nil {
		orig = bytes.NewReader(original)
	}
	var buf bytes.Buffer
	env, err := Compose(&buf, r, orig, opts)
	if err != nil {
		return false
	}
	require.LessOrEqual(t, statusPartLen(t, buf.Bytes()), statusBound(r), "statusBound")
	got, err := Parse(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err, "Parse of composed DSN:\n%s", buf.String())
	want := composedReport(r, env, original, opts)
	require.NotEmpty(t, got.Text, "Text")
	if r.Text == "" && opts.Text == nil {
		want.Text = Summary(r) // the text Compose writes by default
	}
	if strings.TrimSpace(r.Subject) == "" {
		require.NotEmpty(t, got.Subject, "Subject")
		want.Subject = got.Subject // Compose's summary
	}
	normaliseTimes(got)
	require.Equal(t, want, got, "composed DSN:\n%s", buf.String())

	// The same message with bare LF line breaks, as a Unix mailbox holds it.
	lf, err := Parse(bytes.NewReader(bytes.ReplaceAll(buf.Bytes(), []byte("\r\n"), []byte("\n"))))
	require.NoError(t, err, "Parse with LF line breaks")
	normaliseTimes(lf)
	require.Equal(t, got, lf, "Parse with LF line breaks")
	return true
}

// composedReport is r as Parse reads it back: with the defaults Compose
// fills, type atoms lowercased (they are case-insensitive, RFC 3464 §2.1),
// the Subject trimmed and the Text with LF line breaks, as documented on
// Report, and the dates at second precision (RFC 5322 §3.3). Every other
// value comes back exactly: Compose refuses what could not.
func composedReport(r *Report, env Envelope, original []byte, opts ComposeOptions) *Report {
	w := *r
	if w.From == "" {
		w.From = "postmaster@" + r.ReportingMTA
	} else if a, err := mail.ParseAddress(r.From); err == nil {
		w.From = a.Address
	}
	w.To = env.RcptTo
	w.Subject = strings.TrimSpace(r.Subject)
	if w.Date.IsZero() {
		w.Date = opts.Now()
	}
	w.MessageID = strings.TrimSuffix(strings.TrimPrefix(r.MessageID, "<"), ">")
	if w.MessageID == "" {
		w.MessageID = opts.MessageID()
	}
	w.Text = strings.ReplaceAll(strings.ReplaceAll(r.Text, "\r\n", "\n"), "\r", "\n")
	if w.Text != "" && !strings.HasSuffix(w.Text, "\n") {
		w.Text += "\n" // Compose ends the text with a line break
	}
	// RFC 6533 §6: the global types exactly for SMTPUTF8, read back as it.
	w.Returned = env.Returned
	w.ReturnedHeader = nil
	if env.Returned != ReturnNone {
		w.ReturnedHeader = headerOracle(original)
	}
	w.Recipients = make([]Recipient, len(r.Recipients))
	for i, rc := range r.Recipients {
		rc.OriginalRecipient = composedAddress(rc.OriginalRecipient)
		rc.FinalRecipient = composedAddress(rc.FinalRecipient)
		if rc.Status.IsZero() {
			rc.Status = Status{Class: map[Action]int{ActionFailed: 5, ActionDelayed: 4}[rc.Action]}
			if rc.Status.Class == 0 {
				rc.Status.Class = 2
			}
		}
		if rc.DiagnosticType == "" {
			rc.DiagnosticType = "smtp"
		}
		rc.DiagnosticType = strings.ToLower(rc.DiagnosticType)
		if rc.DiagnosticCode == "" {
			rc.DiagnosticType = ""
		}
		w.Recipients[i] = rc
	}
	normaliseTimes(&w)
	return &w
}

// headerOracle reads the header of msg without the code under test: the
// field names, in order, from the lines that start a field, and each
// name's values, in order, from net/mail, which unfolds them.
func headerOracle(msg []byte) Header {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil
	}
	h := Header{}
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	for line := range strings.Lines(string(head)) {
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		key := textproto.CanonicalMIMEHeaderKey(name)
		h = append(h, Field{Name: name, Value: m.Header[key][0]})
		m.Header[key] = m.Header[key][1:]
	}
	return h
}

func composedAddress(a Address) Address {
	if a == (Address{}) {
		return a
	}
	a.Type = strings.ToLower(a.Type)
	if a.Type == "" {
		a.Type = "rfc822"
	}
	if a.Type == "rfc822" && !mailsyntax.IsASCII(a.Addr) {
		a.Type = "utf-8" // RFC 6533 §3
	}
	return a
}

// normaliseTimes puts every date in UTC at second precision: the wire form
// has no more (RFC 5322 §3.3), and zones are equal under time.Equal only.
func normaliseTimes(r *Report) {
	n := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Second)
		}
	}
	n(&r.Date)
	n(&r.ArrivalDate)
	for i := range r.Recipients {
		n(&r.Recipients[i].LastAttemptDate)
		n(&r.Recipients[i].WillRetryUntil)
	}
}

// reportGen draws reports of every shape Compose accepts, and some it
// rejects. utf8 lets words be non-ASCII: in an SMTPUTF8 report, and in the
// fields that take UTF-8 in any report (Subject, Text, recipient
// addresses, the original).
type reportGen struct {
	rng  *rand.Rand
	utf8 bool
}

// anyText is g for the fields that take UTF-8 in any report.
func (g reportGen) anyText() reportGen {
	g.utf8 = true
	return g
}

func (g reportGen) pick(s ...string) string { return s[g.rng.IntN(len(s))] }

// word is a run of printable characters, now and then non-ASCII.
func (g reportGen) word(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+=/!#$%&'*?^`{|}~()<>[]:;,\"\\@"
	var b strings.Builder
	for range 1 + g.rng.IntN(n) {
		if g.utf8 && g.rng.IntN(40) == 0 {
			b.WriteString(g.pick("é", "ü", "日本", "ß"))
			continue
		}
		b.WriteByte(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

// text is words separated by single spaces, long enough to be folded;
// now and then with a space at an end, which only the Subject may have.
func (g reportGen) text(words int) string {
	ws := make([]string, 1+g.rng.IntN(words))
	for i := range ws {
		ws[i] = g.word(12)
	}
	if g.rng.IntN(150) == 0 {
		ws[0] = " " + ws[0]
	}
	return strings.Join(ws, " ")
}

// host is a host name; now and then an address literal, which only
// ReportingMTA may be, or a name with the root's dot, which none may be.
func (g reportGen) host() string {
	if g.rng.IntN(100) == 0 {
		return g.pick("[192.0.2.7]", "[IPv6:2001:db8::7]", "mx.example.net.")
	}
	return g.pick("mx", "mail", "a-b", "x1") + "." + g.pick("example.net", "example.org", "EXAMPLE.com")
}

func (g reportGen) address() string {
	if g.rng.IntN(5) == 0 {
		return g.anyText().word(20) + "@" + g.host()
	}
	return g.pick("bob", "Alice.Smith", "jörg", "x+tag", `"q s"`, `back\x{41}slash`) + "@" + g.host()
}

func (g reportGen) ip() netip.Addr {
	if g.rng.IntN(2) == 0 {
		return netip.AddrFrom4([4]byte{192, 0, 2, byte(g.rng.IntN(256))})
	}
	return netip.MustParseAddr("2001:db8::" + g.pick("1", "a:b", "ff"))
}

func (g reportGen) mta() MTA {
	switch g.rng.IntN(4) {
	case 0:
		return MTA{}
	case 1:
		if g.rng.IntN(100) == 0 {
			return MTA{IP: netip.MustParseAddr("fe80::1%eth0")} // RFC 5321 §4.1.3: refused
		}
		return MTA{IP: g.ip()}
	case 2:
		return MTA{Name: g.host()}
	}
	return MTA{Name: g.host(), IP: g.ip()}
}

func (g reportGen) date() time.Time {
	if g.rng.IntN(3) == 0 {
		return time.Time{}
	}
	zone := time.FixedZone("", (g.rng.IntN(27)-12)*3600+g.rng.IntN(2)*1800)
	return time.Unix(1.7e9+g.rng.Int64N(1e8), g.rng.Int64N(1e9)).In(zone)
}

func (g reportGen) fields() []Field {
	var fs []Field
	for range g.rng.IntN(3) {
		name := g.pick("X-Postfix-Queue-ID", "X-Original-Message-ID", "x-lower", "X-Display-Name")
		if g.rng.IntN(100) == 0 {
			name = g.pick("Final-Recipient", "ACTION", "dsn-gateway") // RFC 3464 §2.4: refused
		}
		fs = append(fs, Field{Name: name, Value: g.text(6)})
	}
	return fs
}

func (g reportGen) recipient() Recipient {
	actions := []Action{ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded}
	rc := Recipient{
		FinalRecipient:  Address{Type: g.pick("", "rfc822", "RFC822", "utf-8"), Addr: g.address()},
		Action:          actions[g.rng.IntN(len(actions))],
		RemoteMTA:       g.mta(),
		LastAttemptDate: g.date(),
		Extensions:      g.fields(),
	}
	if g.rng.IntN(2) == 0 {
		rc.OriginalRecipient = Address{Type: g.pick("rfc822", "utf-8"), Addr: g.address()}
	}
	class := map[Action]int{ActionFailed: 5, ActionDelayed: 4}[rc.Action]
	if class == 0 {
		class = 2
	}
	if rc.Action == ActionFailed && g.rng.IntN(4) == 0 {
		class = 4 // RFC 3464 §2.3.3: failed after retries ran out
	}
	if g.rng.IntN(4) > 0 {
		rc.Status = Status{class, g.rng.IntN(8), g.rng.IntN(30)}
	}
	if g.rng.IntN(30) == 0 {
		rc.Status.Class = 7 - class // a class the action forbids: Compose rejects it
	}
	if g.rng.IntN(3) > 0 {
		rc.DiagnosticType = g.pick("", "smtp", "X-Postfix", "x-unix")
		rc.DiagnosticCode = g.pick("550 5.1.1 ", "451 ", "") + g.text(40)
		if g.rng.IntN(60) == 0 {
			rc.DiagnosticCode += " é" // refused without SMTPUTF8 (RFC 6533 §6)
		}
	}
	if rc.Action == ActionDelayed {
		rc.WillRetryUntil = g.date()
	}
	if g.rng.IntN(3) == 0 {
		rc.FinalLogID = g.word(16)
	}
	return rc
}

func (g reportGen) report() (*Report, []byte, ComposeOptions) {
	g.utf8 = g.rng.IntN(5) == 0
	r := &Report{
		To:              g.pick("alice@example.org", "<bob@example.com>", "<@relay.example:carol@example.net>", "jörg@example.de"),
		ReportingMTA:    g.host(),
		ReceivedFromMTA: g.mta(),
		ArrivalDate:     g.date(),
		Extensions:      g.fields(),
		SMTPUTF8:        g.utf8,
	}
	if !g.utf8 && r.To == "jörg@example.de" && g.rng.IntN(8) > 0 {
		r.To = "joerg@example.de" // mostly: refused without SMTPUTF8 (RFC 6531 §3.3)
	}
	if g.rng.IntN(4) == 0 {
		r.DSNGateway = g.host()
	}
	if g.rng.IntN(3) == 0 {
		r.From = g.pick("MAILER-DAEMON@mx.example.net", "postmaster@example.org")
	}
	if g.rng.IntN(2) == 0 {
		r.Subject = g.anyText().text(20)
	}
	r.Date = g.date()
	if g.rng.IntN(2) == 0 {
		r.MessageID = g.pick("<abc.1@example.net>", "x@y")
	}
	if g.rng.IntN(2) == 0 {
		r.Text = g.anyText().text(30) + g.pick("", "\n", "\nsecond line\n\nfourth")
	}
	if g.rng.IntN(2) == 0 {
		r.OriginalEnvelopeID = g.pick("QQ314159", "a+2Bb", "id-1")
	}
	for range 1 + g.rng.IntN(3) {
		r.Recipients = append(r.Recipients, g.recipient())
	}
	opts := roundTripOptions
	opts.Ret = []Ret{"", RetFull, RetHdrs}[g.rng.IntN(3)]
	var original []byte
	if g.rng.IntN(3) > 0 {
		u := g.anyText()
		original = []byte("Message-ID: <orig." + u.word(8) + "@example.org>\r\nSubject: " + u.text(12) +
			"\r\nFrom: Alice <alice@example.org>\r\nReceived: from a\r\n\tby b; Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
			"X-Mailer: x\r\nreceived: from c by d; Fri, 27 Nov 2026 09:59:00 +0000\r\n\r\n" +
			u.text(50) + "\r\n")
	}
	return r, original, opts
}

// TestRoundTrip checks that Parse(Compose(r)) gives r back, field by field
// (RFC 3464 §2.2, §2.3), for generated reports, with CRLF line breaks and
// with bare LF ones.
func TestRoundTrip(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	accepted := 0
	for seed := range uint64(n) {
		g := reportGen{rng: rand.New(rand.NewPCG(seed, 42))}
		r, original, opts := g.report()
		before := cloneReport(r)
		if roundTrip(t, r, original, opts) {
			accepted++
		}
		require.Equal(t, before, r, "Compose modified its report (seed %d)", seed)
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
	t.Logf("%d of %d generated reports accepted by Compose and read back", accepted, n)
	assert.Greater(t, accepted, n/2, "the generator should mostly make reports Compose accepts")
}

func cloneReport(r *Report) *Report {
	c := *r
	c.Extensions = append([]Field(nil), r.Extensions...)
	c.Recipients = append([]Recipient(nil), r.Recipients...)
	return &c
}

// FuzzRoundTrip composes a report from fuzzed fields; when Compose accepts
// it, Parse must read every field back.
func FuzzRoundTrip(f *testing.F) {
	f.Add("mx.example.net", "bob@example.com", "rfc822", "smtp", "550 5.1.1 no such user", "X-Postfix-Queue-ID", "4ABC", "QQ31", uint8(0), uint16(511), "Hello",
		"Undelivered", "rfc822;bob@example.com", "4ABC.1", "mx.example.com")
	f.Add("mx", "jörg@example.de", "utf-8", "x-unix", "mailbox  full (quota)", "X-A", "b", "", uint8(1), uint16(0), "",
		" Sübject ", "", "", "[192.0.2.1]")
	for _, tc := range roundTripFindings {
		r := tc.report()
		if len(r.Text) > 1<<10 {
			continue // large seeds slow the fuzzer; the test covers them
		}
		rc := r.Recipients[0]
		f.Add(r.ReportingMTA, rc.FinalRecipient.Addr, rc.FinalRecipient.Type, rc.DiagnosticType, rc.DiagnosticCode, "X-A", "v", r.OriginalEnvelopeID, uint8(0), uint16(0), r.Text,
			r.Subject, "", rc.FinalLogID, rc.RemoteMTA.Name)
	}
	f.Fuzz(func(t *testing.T, mta, addr, typ, diagType, diag, extName, extValue, envid string, action uint8, status uint16, text,
		subject, orcpt, logID, remote string) {
		actions := []Action{ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded}
		a := actions[int(action)%len(actions)]
		class := map[Action]int{ActionFailed: 5, ActionDelayed: 4}[a]
		if class == 0 {
			class = 2
		}
		rc := Recipient{
			FinalRecipient: Address{Type: typ, Addr: addr},
			Action:         a,
			Status:         Status{class, int(status>>8) % 10, int(status) % 1000},
			RemoteMTA:      MTA{Name: remote, IP: netip.MustParseAddr("192.0.2.1")},
			DiagnosticType: diagType,
			DiagnosticCode: diag,
			FinalLogID:     logID,
			Extensions:     []Field{{extName, extValue}},
		}
		if o, err := ParseORCPT(orcpt); err == nil {
			rc.OriginalRecipient = o
		}
		r := &Report{
			To:                 "alice@example.org",
			Subject:            subject,
			ReportingMTA:       mta,
			ReceivedFromMTA:    MTA{Name: remote},
			OriginalEnvelopeID: envid,
			Text:               text,
			Recipients:         []Recipient{rc},
		}
		roundTrip(t, r, nil, roundTripOptions)
	})
}

// roundTripFindings are reports Compose once accepted but Parse could not
// read back as written; now each either reads back or is refused.
var roundTripFindings = []roundTripFinding{
	// RFC 3464 §2.3.2: a blank address is no address.
	{"blank FinalRecipient", false, func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "  " }},
	{"blank OriginalRecipient", false, func(r *Report) { r.Recipients[0].OriginalRecipient = Address{"rfc822", " "} }},
	// RFC 6522 §3: CR, LF and CRLF are each one line break; a bare CR
	// before a control lost its line break through quoted-printable.
	{"bare CR in quoted-printable text", true, func(r *Report) { r.Text = "a\r\x05\nb\rc\r\n\r\rd" }},
	{"bare CR in plain text", true, func(r *Report) { r.Text = "one\rtwo\r\r" }},
	// RFC 5322 §2.2.3: unfolding drops white space at a value's ends.
	{"padded FinalRecipient", false, func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "bob@example.com " }},
	{"padded OriginalEnvelopeID", false, func(r *Report) { r.OriginalEnvelopeID = " QQ31" }},
	{"padded DiagnosticCode", false, func(r *Report) { r.Recipients[0].DiagnosticCode = "550 no\u00a0" }},
	{"padded extension value", false, func(r *Report) { r.Extensions = []Field{{"X-A", " b "}} }},
	{"padded FinalLogID", false, func(r *Report) { r.Recipients[0].FinalLogID = "id " }},
	{"padded To", false, func(r *Report) { r.To = "< alice@example.org>" }},
	{"inner runs of spaces", true, func(r *Report) {
		r.SMTPUTF8 = true
		r.Recipients[0].DiagnosticCode = "550  5.1.1" + strings.Repeat("   word", 40) + "  é"
		r.Extensions = []Field{{"X-A", strings.Repeat("x  ", 60) + "y"}}
	}},
	{"padded Subject is trimmed", true, func(r *Report) { r.Subject = "  Delivery report\u00a0" }},
	{"blank Subject gets the summary", true, func(r *Report) { r.Subject = " " }},
	// RFC 2047 §5: ASCII that reads as an encoded word is encoded itself.
	{"Subject like an encoded word", true, func(r *Report) { r.Subject = "re: =?utf-8?q?x?= y" + strings.Repeat(" and more", 20) }},
	// Parse keeps 64 KiB of the human-readable part as written.
	{"text within 64 KiB", true, func(r *Report) { r.Text = strings.Repeat("line of text\n", 4500) }},
	{"text over 64 KiB", false, func(r *Report) { r.Text = strings.Repeat("line of text\n", 5000) }},
	{"quoted-printable text over 64 KiB", false, func(r *Report) { r.Text = strings.Repeat("\x00", 30<<10) }},
	// RFC 1035 §2.3.1: host names, not "." or an IP read back as one.
	{"ReportingMTA .", false, func(r *Report) { r.ReportingMTA = "." }},
	{"ReportingMTA trailing dot", false, func(r *Report) { r.ReportingMTA = "mx.example.net." }},
	{"ReportingMTA literal", true, func(r *Report) { r.ReportingMTA = "[192.0.2.1]" }},
	{"RemoteMTA literal", false, func(r *Report) { r.Recipients[0].RemoteMTA.Name = "[192.0.2.1]" }},
	{"RemoteMTA IPv4 as name", false, func(r *Report) { r.Recipients[0].RemoteMTA.Name = "192.0.2.1" }},
	// The audit's findings (RFC 3464 §2.2.3, §2.3.6, §2.4, RFC 5321
	// §4.1.3, RFC 6533 §3, §6).
	{"DSNGateway in its place", true, func(r *Report) { r.DSNGateway = "gw.example.net" }},
	{"DSN-Gateway as an extension", false, func(r *Report) { r.Extensions = []Field{{"DSN-Gateway", "dns; gw"}} }},
	{"smtp diagnostic without RemoteMTA", true, func(r *Report) { r.Recipients[0].RemoteMTA = MTA{} }},
	{"backslash in a utf-8 address", true, func(r *Report) { r.Recipients[0].FinalRecipient = Address{"utf-8", `j\x{41}@x.de`} }},
	{"backslash in a global utf-8 address", true, func(r *Report) {
		r.SMTPUTF8 = true
		r.Recipients[0].FinalRecipient = Address{"utf-8", `jörg\x{41}@x.de`}
	}},
	{"IPv6 RemoteMTA alone", true, func(r *Report) { r.Recipients[0].RemoteMTA = MTA{IP: netip.MustParseAddr("2001:db8::1")} }},
	{"zoned RemoteMTA", false, func(r *Report) { r.Recipients[0].RemoteMTA.IP = netip.MustParseAddr("fe80::1%eth0") }},
	{"SMTPUTF8 with ASCII only", true, func(r *Report) { r.SMTPUTF8 = true }},
	{"ReceivedFromMTA name", true, func(r *Report) {
		r.ReceivedFromMTA = MTA{Name: "Client_1.example", IP: netip.MustParseAddr("2001:db8::1")}
	}},
}

type roundTripFinding struct {
	name   string
	accept bool // Compose accepts the report, and it reads back
	mutate func(r *Report)
}

// report is a plain failure report with the finding applied.
func (tc roundTripFinding) report() *Report {
	r := &Report{
		To:           "alice@example.org",
		ReportingMTA: "mx.example.net",
		Recipients: []Recipient{{
			FinalRecipient: Address{Addr: "bob@example.com"},
			Action:         ActionFailed,
			Status:         Status{5, 1, 1},
			RemoteMTA:      MTA{Name: "mx.example.com", IP: netip.MustParseAddr("192.0.2.1")},
			DiagnosticCode: "550 5.1.1 no such user",
		}},
	}
	tc.mutate(r)
	return r
}

// TestRoundTripFindings checks the reports FuzzRoundTrip and the parse
// tests found: Compose either refuses one, naming the field and the rule
// (RFC 3464 §2.1, §2.3.2, RFC 5322 §2.2.3, RFC 1035 §2.3.1), or Parse reads
// it back as written.
func TestRoundTripFindings(t *testing.T) {
	for _, tc := range roundTripFindings {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.report()
			accepted := roundTrip(t, r, nil, roundTripOptions)
			require.Equal(t, tc.accept, accepted)
			if !accepted {
				_, err := Compose(io.Discard, r, nil, roundTripOptions)
				require.ErrorIs(t, err, ErrInvalidField)
				assert.Regexp(t, `\(RFC \d+ §[\d.]+\)$`, err.Error(), "names the rule")
			}
		})
	}
}
