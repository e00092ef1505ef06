package mailsyntax

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AppendDate writes what time's layout would (RFC 5322 §3.3).
func TestAppendDateRFC5322Section3_3(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", -5*3600), time.FixedZone("", 5*3600+1800), time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("", 14*3600)}
	for i := range 2000 {
		tm := time.Unix(int64(i)*7919*3607-int64(i*i)*86400, 0).In(zones[i%len(zones)])
		assert.Equal(t, tm.Format(DateLayout), string(AppendDate(nil, tm)))
	}
	far := time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, far.Format(DateLayout), string(AppendDate(nil, far)))
}

// RFC 5322 §3.3: a zone is whole minutes; a time in a zone of odd seconds
// is written in UTC, the same instant, never rounded or as "-0000".
func TestAppendDateOddZoneRFC5322Section3_3(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, offset := range []int{5417, -30, 59, -3599} {
		tm := at.In(time.FixedZone("", offset))
		got := string(AppendDate(nil, tm))
		assert.Equal(t, "Fri, 27 Nov 2026 10:00:00 +0000", got, "offset %d", offset)
		back, err := time.Parse(DateLayout, got)
		require.NoError(t, err)
		assert.True(t, back.Equal(tm))
	}
}

// RFC 5322 §3.6.4: id-left "@" id-right, dot-atoms or a no-fold-literal.
func TestIsMsgIDRFC5322Section3_6_4(t *testing.T) {
	for id, want := range map[string]bool{
		"lunch-1@example.org":   true,
		"a.b@[192.0.2.1]":       true,
		"no-at-sign":            false,
		"a@b@c":                 false,
		"a b@example.org":       false,
		"a@[x\\y]":              false,
		"a@":                    false,
		"réunion@exemple.fr":    false,
		".lead@example.org":     false,
		"x@example.org\r\nX: 1": false,
	} {
		assert.Equal(t, want, IsMsgID(id, false), id)
	}
	assert.True(t, IsMsgID("réunion@exemple.fr", true))
}
