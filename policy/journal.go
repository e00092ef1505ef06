package policy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"time"
)

// The journal of a FileStore is journalMagic, then records, each
//
//	length  uint32, big-endian: of the payload
//	crc     uint32, big-endian: CRC-32C of the payload
//	payload n int64, expires int64 (Unix nanoseconds), key (the rest)
//
// A record sets key to n until expires; n zero removes key. The last
// record of a key wins.
const journalMagic = "bouncepolicy store journal v1\n"

const (
	journalHeader   = 8  // length and crc
	journalFixed    = 16 // n and expires
	maxJournalKey   = 1 << 16
	maxJournalValue = journalFixed + maxJournalKey
)

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// ErrStoreFile is wrapped by the errors of OpenFileStore for a file that
// is no store journal: the file is left as it is.
var ErrStoreFile = errors.New("policy: not a store journal")

// appendJournalRecord appends the record setting key to n until expires.
func appendJournalRecord(b []byte, key string, n int64, expires time.Time) []byte {
	var exp int64
	if n != 0 {
		exp = expires.UnixNano()
	}
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, uint32(journalFixed+len(key)))
	b = binary.BigEndian.AppendUint32(b, 0) // the crc, below
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	b = append(b, key...)
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+journalHeader:], journalCRC))
	return b
}

// readJournal calls apply for each record of r, the journal after its
// magic, in order. It skips a record whose checksum or values are wrong
// and stops at a length it cannot trust or a record cut short (the last
// write torn by a crash), counting each as one skipped. Only an error
// reading r is returned.
func readJournal(r *bufio.Reader, apply func(key string, n int64, expires time.Time)) (skipped int, err error) {
	var header [journalHeader]byte
	payload := make([]byte, 0, 256)
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return skipped + 1, nil
			}
			if errors.Is(err, io.EOF) {
				return skipped, nil
			}
			return skipped, err
		}
		size := binary.BigEndian.Uint32(header[:4])
		if size < journalFixed || size > maxJournalValue {
			return skipped + 1, nil // no way to find the next record
		}
		payload = slices.Grow(payload[:0], int(size))[:size]
		if _, err := io.ReadFull(r, payload); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return skipped + 1, nil
			}
			return skipped, err
		}
		n := int64(binary.BigEndian.Uint64(payload[0:8]))
		if crc32.Checksum(payload, journalCRC) != binary.BigEndian.Uint32(header[4:]) || n < 0 {
			skipped++
			continue
		}
		expires := time.Unix(0, int64(binary.BigEndian.Uint64(payload[8:16])))
		apply(string(payload[journalFixed:]), n, expires)
	}
}
