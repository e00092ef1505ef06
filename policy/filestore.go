package policy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrStoreClosed is returned by the methods of a closed FileStore.
var ErrStoreClosed = errors.New("policy: store closed")

// FileStoreOptions configures OpenFileStore.
type FileStoreOptions struct {
	// MaxBytes bounds the memory held, as MemoryStore.MaxBytes.
	MaxBytes int64

	// Now is the clock, time.Now when nil. Expiries are kept as wall
	// clock times, so that they survive a restart.
	Now func() time.Time

	// Sync makes each change durable (fsync) before the call returns.
	// Without it a change is one write(2) to the journal, kept by the
	// kernel through a crash of the process but not through a power
	// loss or a crash of the host, which may forget the last seconds.
	// With it, each claim costs a disk flush, milliseconds on most disks.
	Sync bool
}

// FileStore is a MemoryStore whose state survives a restart, so that a
// restarted server does not send a vacation reply again within its
// period. It is for one process: OpenFileStore takes a lock (on systems
// with flock) that a second opening of the same path fails on.
//
// Each change appends one record, the key's new state, to a journal file
// opened with O_APPEND. Opening replays the journal into memory and
// compacts it: the live entries are written to a temporary file, synced
// and renamed over the journal, dropping expired and removed entries;
// the journal is compacted alike whenever it holds more than twice the
// live entries. A journal rather than an embedded database such as
// go.etcd.io/bbolt: the state is small and bounded by MaxBytes, is read
// only at start, and loses little if the last seconds are lost (a vacation
// sent twice, a rate limit counted short), so one sequential append per
// change beats a B+tree's page writes and two fsyncs per transaction,
// and the module gains no dependency.
//
// The journal's directory must be writable by the service alone: the
// journal, its ".lock" and the temporary file of a compaction are opened
// by name, following symbolic links, so that whoever can swap one for a
// link can have the store read or append to a file of their choosing,
// and can write any state into the journal anyway.
//
// A record that fails its checksum is skipped, a record torn by a crash
// ends the replay; Skipped counts both. Entries the bound evicted may come
// back after a restart, until the bound evicts them again.
type FileStore struct {
	mem     MemoryStore // its mu guards the fields below, as the journal hook runs under it
	path    string
	sync    bool
	lock    *os.File // nil where no lock is taken
	f       *os.File // the journal; nil once closed
	size    int64    // of the journal: a failed write is cut back to it
	records int      // in the journal
	skipped int
	buf     []byte
}

var _ Store = (*FileStore)(nil)

// OpenFileStore opens the journal at path, creating it (mode 0600: it
// holds addresses) when absent, and replays it. A file that does not
// start as a journal is refused with an error wrapping ErrStoreFile and
// left untouched.
func OpenFileStore(path string, opts FileStoreOptions) (*FileStore, error) {
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("policy: opening store %s: %w", path, err)
	}
	s := &FileStore{mem: MemoryStore{MaxBytes: opts.MaxBytes, Now: opts.Now}, path: path, sync: opts.Sync, lock: lock}
	if err := s.replay(); err != nil {
		s.unlock()
		return nil, fmt.Errorf("policy: opening store %s: %w", path, err)
	}
	s.mem.mu.Lock()
	err = s.compact(nil)
	s.mem.mu.Unlock()
	if err != nil {
		s.unlock()
		return nil, fmt.Errorf("policy: opening store %s: %w", path, err)
	}
	s.mem.journal = s.write
	return s, nil
}

// replay reads the journal, if any, into memory.
func (s *FileStore) replay() error {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, len(journalMagic))
	if n, err := io.ReadFull(r, magic); err != nil || string(magic) != journalMagic {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil // empty: a crash before the first compaction's write
		}
		return fmt.Errorf("%w: the file does not start with %q", ErrStoreFile, journalMagic[:len(journalMagic)-1])
	}
	now := s.mem.now()
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	s.skipped, err = readJournal(r, func(key string, n int64, expires time.Time) {
		s.mem.load(key, n, expires, now)
	})
	return err
}

// Claim implements Store.
func (s *FileStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.open("claim", key); err != nil {
		return false, err
	}
	return s.mem.Claim(ctx, key, ttl)
}

// Count implements Store.
func (s *FileStore) Count(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := s.open("count", key); err != nil {
		return 0, err
	}
	return s.mem.Count(ctx, key, window)
}

// Take implements Store.
func (s *FileStore) Take(ctx context.Context, key string) (int64, error) {
	if err := s.open("take", key); err != nil {
		return 0, err
	}
	return s.mem.Take(ctx, key)
}

// Len returns the number of entries held, as MemoryStore.Len.
func (s *FileStore) Len() int { return s.mem.Len() }

// Skipped returns the number of journal records skipped as unreadable
// when the store was opened.
func (s *FileStore) Skipped() int { return s.skipped }

// Close closes the journal; every change made is in it already. Later
// calls return ErrStoreClosed.
func (s *FileStore) Close() error {
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	s.unlock()
	if err != nil {
		return fmt.Errorf("policy: closing store %s: %w", s.path, err)
	}
	return nil
}

// open refuses a call on a closed store, and a key the journal cannot
// hold.
func (s *FileStore) open(op, key string) error {
	if len(key) > maxJournalKey {
		return fmt.Errorf("%w: %s: key of %d bytes over the file store's limit of %d", ErrStoreArgument, op, len(key), maxJournalKey)
	}
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("%w: %s: %s", ErrStoreClosed, op, s.path)
	}
	return nil
}

// write is the MemoryStore's journal hook, called under its mu before
// each change: it appends the record in one write, or compacts.
func (s *FileStore) write(key string, n int64, expires time.Time) error {
	if s.f == nil {
		return fmt.Errorf("%w: %s", ErrStoreClosed, s.path)
	}
	s.buf = appendJournalRecord(s.buf[:0], key, n, expires)
	if s.records > 1024 && s.records > 2*len(s.mem.entries) {
		return s.compact(s.buf)
	}
	if _, err := s.f.Write(s.buf); err != nil {
		// A torn record would hide the ones after it from the replay.
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("policy: store %s: %w", s.path, err)
	}
	if s.sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("policy: store %s: %w", s.path, err)
		}
	}
	s.size += int64(len(s.buf))
	s.records++
	return nil
}

// compact replaces the journal with the live entries and then pending,
// the record of the change about to be made, if any: a temporary file,
// synced, renamed over the journal, whose directory is then synced, so
// that a crash leaves the old journal or the new, never a mix. s.mem.mu
// must be held.
func (s *FileStore) compact(pending []byte) (err error) {
	dir, base := filepath.Split(s.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return fmt.Errorf("policy: compacting store: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("policy: compacting store %s: %w", s.path, err)
		}
	}()
	w := bufio.NewWriter(tmp)
	size, records := int64(len(journalMagic)), 0
	w.WriteString(journalMagic)
	var rec []byte
	err = s.mem.eachLive(s.mem.now(), func(key string, n int64, expires time.Time) error {
		rec = appendJournalRecord(rec[:0], key, n, expires)
		size += int64(len(rec))
		records++
		_, err := w.Write(rec)
		return err
	})
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		w.Write(pending)
		size += int64(len(pending))
		records++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.size, s.records = f, size, records
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *FileStore) unlock() {
	if s.lock != nil {
		s.lock.Close() // releases the lock
		s.lock = nil
	}
}
