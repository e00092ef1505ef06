package dsn

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases are the five DSNs of the golden files, deterministic through
// the options' clock, Message-ID and boundary.
func goldenCases() []struct {
	name     string
	r        *Report
	original string
	opts     ComposeOptions
} {
	opts := func(ret Ret, limit int64) ComposeOptions {
		o := testOptions()
		o.Ret, o.ReturnSizeLimit = ret, limit
		return o
	}

	three := failureReport()
	three.OriginalEnvelopeID = "QQ314159"
	three.Recipients[0].OriginalRecipient = Address{"rfc822", "bob@hosted.example"}
	three.Recipients = append(three.Recipients,
		Recipient{
			OriginalRecipient: Address{"rfc822", "sales@hosted.example"},
			FinalRecipient:    Address{"rfc822", "Carol.Jones@hosted.example"},
			Action:            ActionFailed,
			Status:            Status{5, 2, 2},
			RemoteMTA:         MTA{Name: "store.hosted.example", IP: netip.MustParseAddr("2001:db8::25")},
			DiagnosticCode:    "552-5.2.2 The recipient's mailbox is full and can't accept messages now. 552 5.2.2 Please try again later, or ask the recipient to make room",
			LastAttemptDate:   time.Date(2026, 11, 27, 10, 0, 6, 0, testZone),
		},
		Recipient{
			OriginalRecipient: Address{"rfc822", "info@hosted.example"},
			FinalRecipient:    Address{"rfc822", "dave@hosted.example"},
			Action:            ActionFailed,
			Status:            Status{4, 4, 7},
			DiagnosticCode:    "message expired after 5 days in the queue",
			DiagnosticType:    "X-Queue",
			LastAttemptDate:   time.Date(2026, 11, 27, 10, 0, 7, 0, testZone),
		})

	delayed := delayedReport()
	delayed.Recipients[0].RemoteMTA = MTA{Name: "slow.hosted.example"}

	utf8 := failureReport()
	utf8.SMTPUTF8 = true
	utf8.To = "élodie@exemple.fr"
	utf8.Recipients[0].OriginalRecipient = Address{"utf-8", "用户@例子.广告"}
	utf8.Recipients[0].FinalRecipient = Address{"utf-8", "用户@例子.广告"}
	utf8.Recipients[0].DiagnosticCode = "550 5.1.1 <用户@例子.广告>: mailbox unavailable"
	utf8Original := "From: Élodie <élodie@exemple.fr>\r\nTo: 用户@例子.广告\r\nSubject: Réunion\r\n" +
		"Message-ID: <réunion-7@exemple.fr>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÀ demain.\r\n"

	big := testOriginal + strings.Repeat("All work and no play makes Jack a dull boy.\r\n", 1000)

	return []struct {
		name     string
		r        *Report
		original string
		opts     ComposeOptions
	}{
		{"failure-ret-hdrs", failureReport(), testOriginal, opts(RetHdrs, 0)},
		{"three-recipients-orcpt-envid", three, testOriginal, opts(RetFull, 0)},
		{"delayed-will-retry-until", delayed, testOriginal, opts("", 0)},
		{"ret-full-over-limit", failureReport(), big, opts(RetFull, 10000)},
		{"smtputf8", utf8, utf8Original, opts(RetFull, 0)},
	}
}

// TestComposeGolden compares five composed DSNs with the files in
// testdata/golden, stored with LF line endings for readable diffs; run
// `go test ./dsn -run Golden -update` to rewrite them.
func TestComposeGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, _, raw := composeOK(t, tc.r, tc.original, tc.opts)
			got := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
			path := filepath.Join("testdata", "golden", tc.name+".eml")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), string(got))
		})
	}
}
