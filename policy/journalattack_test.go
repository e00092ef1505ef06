package policy

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileStorePoisonedJournal: a crafted journal opens without panic,
// in bounded memory and time: a length field over the limit ends the
// replay, CRC-valid records with a negative count are skipped, and
// a flood of distinct keys is held to MaxBytes. (A record with a
// far-future expiry is kept: whoever can write the journal owns the
// store's state anyway; the journal is 0600 in a directory that must be
// the service's alone.)
func TestFileStorePoisonedJournal(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	record := func(b []byte, n int64, exp int64, key string) []byte {
		start := len(b)
		b = binary.BigEndian.AppendUint32(b, uint32(journalFixed+len(key)))
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
		b = binary.BigEndian.AppendUint64(b, uint64(exp))
		b = append(b, key...)
		binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+journalHeader:], journalCRC))
		return b
	}
	far := now.Add(100 * 365 * 24 * time.Hour).UnixNano()
	for name, tt := range map[string]struct {
		build   func() []byte
		maxLen  int
		skipped int
	}{
		"huge length": {func() []byte {
			b := record([]byte(journalMagic), 1, far, "ok")
			return binary.BigEndian.AppendUint32(append(b, 0xff, 0xff, 0xff, 0xff), 0)
		}, 1, 1},
		"negative counts": {func() []byte {
			b := []byte(journalMagic)
			for i := range 1000 {
				b = record(b, -int64(i)-1, far, "k"+strconv.Itoa(i))
			}
			return b
		}, 0, 1000},
		"a million tiny records": {func() []byte {
			b := []byte(journalMagic)
			for i := range 1 << 20 {
				b = record(b, 1, far, strconv.Itoa(i))
			}
			return b
		}, (64 << 10) / memEntryOverhead, 0},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store")
			require.NoError(t, os.WriteFile(path, tt.build(), 0o600))
			start := time.Now()
			s, err := OpenFileStore(path, FileStoreOptions{MaxBytes: 64 << 10, Now: func() time.Time { return now }})
			require.NoError(t, err)
			defer s.Close()
			assert.Less(t, time.Since(start), 20*time.Second)
			assert.LessOrEqual(t, s.Len(), tt.maxLen)
			assert.Equal(t, tt.skipped, s.Skipped())
			_, err = s.Count(context.Background(), "x", time.Hour)
			require.NoError(t, err)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Less(t, fi.Size(), int64(128<<10), "compacted to what is held")
		})
	}
}
