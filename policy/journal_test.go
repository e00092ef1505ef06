package policy

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzReadJournal: any bytes read without a panic, and records written
// read back as written, whatever precedes them.
func FuzzReadJournal(f *testing.F) {
	exp := time.Unix(1_800_000_000, 0)
	valid := appendJournalRecord(nil, "key", 3, exp)
	f.Add([]byte{}, "k", int64(1))
	f.Add(valid, "", int64(0))
	f.Add(valid[:len(valid)-1], "x", int64(7))
	f.Add([]byte("\xff\xff\xff\xff\x00\x00\x00\x00"), "k", int64(1))
	f.Fuzz(func(t *testing.T, data []byte, key string, n int64) {
		if len(key) > maxJournalKey || n < 0 {
			return
		}
		skipped, err := readJournal(bufio.NewReader(bytes.NewReader(data)), func(string, int64, time.Time) {})
		require.NoError(t, err)
		assert.LessOrEqual(t, skipped, len(data)/journalHeader+1)

		var got []string
		rec := appendJournalRecord(nil, key, n, exp)
		_, err = readJournal(bufio.NewReader(bytes.NewReader(append(rec, rec...))), func(k string, m int64, e time.Time) {
			require.Equal(t, n, m)
			if n != 0 {
				require.True(t, e.Equal(exp))
			}
			got = append(got, k)
		})
		require.NoError(t, err)
		assert.Equal(t, []string{key, key}, got)
	})
}
