package dsn

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file hold the size limits Compose and Parse share, so
// that Parse(Compose(r)) reads back however many recipients r has.

// manyRecipients is a report of n failed recipients, each with an SMTP
// reply of about diagLen bytes, as a large mailing to one host gives.
func manyRecipients(n, diagLen int) *Report {
	r := &Report{To: "alice@example.org", ReportingMTA: "mx.hosted.example", ArrivalDate: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	reply := strings.TrimSpace("550 5.1.1 " + strings.Repeat("mailbox unavailable ", diagLen/20))
	for i := range n {
		r.Recipients = append(r.Recipients, Recipient{
			FinalRecipient: Address{Type: "rfc822", Addr: fmt.Sprintf("user%06d@hosted.example", i)},
			Action:         ActionFailed,
			Status:         Status{5, 1, 1},
			DiagnosticCode: reply,
		})
	}
	return r
}

// composeRaw composes r with testOptions, which it must accept.
func composeRaw(t testing.TB, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := Compose(&buf, r, nil, testOptions())
	require.NoError(t, err)
	return buf.Bytes()
}

// statusPartLen is the length of the delivery-status part of raw, a
// composed DSN, as Parse measures it against maxStatusLen: its body and
// the CRLF before the delimiter line (RFC 2046 §5.1.1).
func statusPartLen(t testing.TB, raw []byte) int {
	t.Helper()
	_, boundary, ok := bytes.Cut(raw, []byte(`boundary="`))
	require.True(t, ok, "no boundary")
	boundary, _, _ = bytes.Cut(boundary, []byte(`"`))
	parts := bytes.Split(raw, append([]byte("\r\n--"), boundary...))
	require.Greater(t, len(parts), 3, "a text part and a status part")
	_, body, ok := bytes.Cut(parts[2], []byte("\r\n\r\n"))
	require.True(t, ok, "status part header")
	return len(body) + len("\r\n")
}

// RFC 3464 §2.1: a report as large as real MTAs write, 2000 recipients
// with 500-byte replies, reads back whole (the review's repro: its 1.2 MB
// part was over Parse's limit).
func TestComposeManyRecipientsReadBackRFC3464Section2_1(t *testing.T) {
	r := manyRecipients(2000, 480)
	back, err := Parse(bytes.NewReader(composeRaw(t, r)))
	require.NoError(t, err, "Parse(Compose(r))")
	require.Len(t, back.Recipients, len(r.Recipients))
	assert.Equal(t, r.Recipients[1999].FinalRecipient, back.Recipients[1999].FinalRecipient)
	assert.Equal(t, r.Recipients[1999].DiagnosticCode, back.Recipients[1999].DiagnosticCode)
}

// RFC 3464 §2.1: Compose and Parse share one limit on the delivery-status
// part. A part exactly maxStatusLen long composes and reads back; one byte
// more, Parse refuses the part, and Compose the report, writing nothing.
func TestStatusPartLimitSharedRFC3464Section2_1(t *testing.T) {
	one := statusPartLen(t, composeRaw(t, manyRecipients(1, 40)))
	each := statusPartLen(t, composeRaw(t, manyRecipients(2, 40))) - one
	n := (maxStatusLen-(one-each))/each - 1 // leaves room for one to two recipients
	r := manyRecipients(n, 40)
	last := &r.Recipients[n-1]
	// One long word, folded once after the name whatever its length.
	last.FinalLogID = strings.Repeat("x", 100)
	last.FinalLogID += strings.Repeat("x", maxStatusLen-statusPartLen(t, composeRaw(t, r)))
	raw := composeRaw(t, r)
	require.Equal(t, maxStatusLen, statusPartLen(t, raw))
	back, err := Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Len(t, back.Recipients, n)
	assert.Equal(t, last.FinalLogID, back.Recipients[n-1].FinalLogID)

	over := bytes.Replace(raw, []byte(last.FinalLogID), []byte(last.FinalLogID+"x"), 1)
	_, err = Parse(bytes.NewReader(over))
	require.ErrorIs(t, err, ErrInvalidField)
	assert.ErrorContains(t, err, "delivery-status: part larger than "+statusLimit())

	last.FinalLogID += "x"
	fe := composeErr(t, r, "one byte over the limit")
	assert.Equal(t, "Recipients", fe.Field)
	assert.Contains(t, fe.Rule, "over "+statusLimit())
	assert.Regexp(t, `\(RFC \d+ §[\d.]+\)$`, fe.Rule)
}

// statusBound, which spares nearly every report the exact count, bounds
// the delivery-status part whatever its folds, escapes, dates and MTAs:
// else Compose could write a part Parse refuses.
func TestStatusBoundHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Words and runs of spaces of every length up to past a line, the
	// shapes that fold most often.
	randomText := func() string {
		var b strings.Builder
		for b.Len() < 3000 {
			if b.Len() > 0 {
				b.WriteString(strings.Repeat(" ", 1+rng.IntN(3)))
			}
			b.WriteString(strings.Repeat("w", 1+rng.IntN(100)))
		}
		return b.String()
	}
	big := math.MaxInt64 - math.MaxInt64%60 // a zone of whole minutes, 16 digits of hours
	extremeDates := []time.Time{
		time.Unix(math.MaxInt64, 0).In(time.FixedZone("", -big)),
		time.Unix(-1<<62, 0).In(time.FixedZone("", big)),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	cases := map[string]func(r *Report){
		"plain": func(*Report) {},
		"folds after one-letter words": func(r *Report) {
			r.Recipients[0].DiagnosticCode = strings.Repeat("a "+strings.Repeat("w", 77)+" ", 40) + "end"
		},
		"folds at every other space": func(r *Report) {
			r.Recipients[0].DiagnosticCode = strings.Repeat("ab "+strings.Repeat("w", 76)+" ", 40) + "end"
			r.Extensions = []Field{{"X-A", strings.Repeat("b  "+strings.Repeat("v", 75)+"   ", 30) + "end"}}
		},
		"escaped utf-8 addresses": func(r *Report) {
			r.Recipients[0].FinalRecipient = Address{Addr: strings.Repeat("日", 80) + "@example.jp"}
			r.Recipients[0].OriginalRecipient = Address{Type: "utf-8", Addr: strings.Repeat("+=", 70) + "@example.jp"}
		},
		"global utf-8 addresses": func(r *Report) {
			r.SMTPUTF8 = true
			r.Recipients[0].FinalRecipient = Address{Addr: strings.Repeat("日", 200) + "@example.jp"}
			r.Recipients[0].DiagnosticCode = strings.Repeat("é ", 300) + "é"
		},
		"extreme dates and IPv6 literals": func(r *Report) {
			r.ArrivalDate = extremeDates[0]
			r.ReceivedFromMTA = MTA{IP: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")}
			rc := &r.Recipients[0]
			rc.Action, rc.Status = ActionDelayed, Status{4, 999, 999}
			rc.LastAttemptDate, rc.WillRetryUntil = extremeDates[1], extremeDates[2]
			rc.RemoteMTA = MTA{IP: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")}
		},
		"every field": func(r *Report) {
			r.OriginalEnvelopeID, r.DSNGateway = "QQ314159", "gw.example.net"
			rc := &r.Recipients[0]
			rc.OriginalRecipient = Address{Type: "rfc822", Addr: "bob@hosted.example"}
			rc.Action, rc.Status = ActionDelivered, Status{2, 0, 0}
			rc.DiagnosticType, rc.FinalLogID = "X-Postfix", "4ABC.1"
			rc.Extensions = []Field{{"X-B", "c"}, {"X-Display-Name", "Bob"}}
		},
	}
	for i := range 50 {
		cases[fmt.Sprintf("random text %d", i)] = func(r *Report) {
			r.Recipients[0].DiagnosticCode = randomText()
			r.Recipients = append(r.Recipients, r.Recipients[0])
			r.Recipients[1].FinalLogID = randomText()
		}
	}
	// The folds statusBound allows for: at most 2*(L/79)+1 in a line of
	// L bytes, also of words just around a line's length.
	lens := []int{1, 2, 3, 75, 76, 77, 78, 79, 80}
	for range 2000 {
		line := []byte("Diagnostic-Code:")
		for len(line) < 400 {
			line = append(line, strings.Repeat(" ", 1+rng.IntN(2))...)
			line = append(line, strings.Repeat("w", lens[rng.IntN(len(lens))])...)
		}
		out := sink{w: io.Discard, buf: make([]byte, 64)}
		mailsyntax.WriteFolded(&out, line, len("Diagnostic-Code"))
		require.NoError(t, out.flush())
		folds := (int(out.n) - len(line) - len("\r\n")) / len("\r\n")
		require.LessOrEqual(t, folds, 2*(len(line)/79)+1, "%q", line)
	}
	for name, mutate := range cases {
		r := failureReport()
		mutate(r)
		got := statusPartLen(t, composeRaw(t, r))
		assert.GreaterOrEqual(t, statusBound(r), got, name)
	}
}

// RFC 6522 §3: the default text lists recipients up to maxSummaryLen and
// counts the rest, so that it reads back whole however many recipients a
// report has and however it is encoded; Summary(r) is the text Compose
// writes.
func TestSummaryBoundedRFC6522Section3(t *testing.T) {
	utf8Rcpts := manyRecipients(2000, 0)
	for i := range utf8Rcpts.Recipients {
		rc := &utf8Rcpts.Recipients[i]
		// Quoted-printable: a UTF-8 address in a plain report, and
		// diagnostics of "=", each written "=3D" (RFC 2045 §6.7).
		rc.FinalRecipient.Addr = "jörg" + rc.FinalRecipient.Addr
		rc.DiagnosticCode = "550 " + strings.TrimSpace(strings.Repeat("========== ", 40))
	}
	hugeFirst := manyRecipients(3, 0)
	hugeFirst.Recipients[0].DiagnosticCode = "550 " + strings.TrimSpace(strings.Repeat("word ", 5000))
	for name, tc := range map[string]struct {
		r      *Report
		listed int // -1: some but not all, as many as fit
		enc    string
	}{
		"few recipients":            {manyRecipients(20, 480), 20, enc7bit},
		"many recipients":           {manyRecipients(2000, 480), -1, enc7bit},
		"many quoted-printable":     {utf8Rcpts, -1, encQuotedPrintable},
		"first line over the limit": {hugeFirst, 0, enc7bit},
	} {
		t.Run(name, func(t *testing.T) {
			s := Summary(tc.r)
			lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
			listed := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "<") {
					listed++
				}
			}
			if tc.listed >= 0 {
				assert.Equal(t, tc.listed, listed)
			} else {
				assert.Positive(t, listed)
				assert.Less(t, listed, len(tc.r.Recipients))
			}
			if listed < len(tc.r.Recipients) {
				more := len(tc.r.Recipients) - listed
				noun := map[bool]string{true: "recipient is", false: "recipients are"}[more == 1]
				require.Equal(t, fmt.Sprintf("%d more %s not listed here; the delivery-status part lists every recipient.", more, noun), lines[len(lines)-1])
				listedText := len(s) - len(lines[len(lines)-1]) - 1
				assert.LessOrEqual(t, listedText, maxSummaryLen)
				// As many as fit: the next recipient's line would not.
				next := appendRecipientLine(nil, &tc.r.Recipients[listed])
				assert.Greater(t, listedText+len(next), maxSummaryLen)
			}
			for i := range listed {
				assert.True(t, strings.HasPrefix(lines[4+i], "<"+tc.r.Recipients[i].FinalRecipient.Addr+">: failed (5."), "line %d", i)
			}

			raw := composeRaw(t, tc.r)
			enc := readBackDSN(t, raw).parts[0].header.Get("Content-Transfer-Encoding")
			if enc == "" {
				enc = enc7bit
			}
			assert.Equal(t, tc.enc, enc)
			back, err := Parse(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, s, back.Text, "Compose's default text, read back whole")
		})
	}
}
