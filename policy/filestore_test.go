package policy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/policy/internal/storetest"
)

func openFileStore(t *testing.T, path string, clock *fakeClock) *policy.FileStore {
	t.Helper()
	s, err := policy.OpenFileStore(path, policy.FileStoreOptions{Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFileStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (policy.Store, func(time.Duration)) {
		clock := newFakeClock()
		return openFileStore(t, filepath.Join(t.TempDir(), "store"), clock), clock.Advance
	})
}

// TestFileStoreRestart: claims, counters and removals survive a restart;
// the ttl keeps running.
func TestFileStoreRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store")
	clock := newFakeClock()
	ctx := context.Background()
	s := openFileStore(t, path, clock)
	_, err := s.Claim(ctx, "vacation", time.Hour)
	require.NoError(t, err)
	for range 3 {
		_, err = s.Count(ctx, "counter", time.Hour)
		require.NoError(t, err)
	}
	_, err = s.Count(ctx, "taken", time.Hour)
	require.NoError(t, err)
	_, err = s.Take(ctx, "taken")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = s.Claim(ctx, "x", time.Hour)
	assert.ErrorIs(t, err, policy.ErrStoreClosed)

	clock.Advance(30 * time.Minute)
	s = openFileStore(t, path, clock)
	assert.Zero(t, s.Skipped())
	assert.Equal(t, 2, s.Len())
	first, err := s.Claim(ctx, "vacation", time.Hour)
	require.NoError(t, err)
	assert.False(t, first, "claim kept")
	n, err := s.Count(ctx, "counter", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(4), n, "counter kept")
	n, err = s.Take(ctx, "taken")
	require.NoError(t, err)
	assert.Zero(t, n, "removal kept")

	clock.Advance(31 * time.Minute)
	first, err = s.Claim(ctx, "vacation", time.Hour)
	require.NoError(t, err)
	assert.True(t, first, "the ttl ran on through the restart")
}

// TestFileStoreCompaction: opening drops expired and removed entries from
// the file; a long run of changes does not grow it without bound.
func TestFileStoreCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store")
	clock := newFakeClock()
	ctx := context.Background()
	s := openFileStore(t, path, clock)
	_, err := s.Claim(ctx, "short-lived", time.Minute)
	require.NoError(t, err)
	_, err = s.Claim(ctx, "long-lived", time.Hour)
	require.NoError(t, err)
	for range 5000 {
		_, err = s.Count(ctx, "busy", time.Hour)
		require.NoError(t, err)
	}
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, info.Size(), int64(1100*40), "compacted while running")
	require.NoError(t, s.Close())

	clock.Advance(2 * time.Minute)
	s = openFileStore(t, path, clock)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "short-lived")
	assert.Contains(t, string(data), "long-lived")
	n, err := s.Take(ctx, "busy")
	require.NoError(t, err)
	assert.Equal(t, int64(5000), n)
}

// TestFileStoreDamage: a torn last record and a corrupt one are skipped
// and counted, the rest kept; a file that is no journal is refused and
// left untouched.
func TestFileStoreDamage(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	// write makes a journal with the claims of keys, and returns its bytes.
	write := func(t *testing.T, path string, keys ...string) []byte {
		s := openFileStore(t, path, clock)
		for _, k := range keys {
			_, err := s.Claim(ctx, k, time.Hour)
			require.NoError(t, err)
		}
		require.NoError(t, s.Close())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		return data
	}
	tests := []struct {
		name        string
		damage      func(data []byte) []byte
		wantSkipped int
		wantKept    []string
	}{
		{"torn last record", func(d []byte) []byte { return d[:len(d)-3] }, 1, []string{"key-1", "key-2"}},
		{"torn in the last header", func(d []byte) []byte { return d[:len(d)-len("key-3")-14] }, 1, []string{"key-1", "key-2"}},
		{"corrupt middle record", func(d []byte) []byte {
			i := bytes.Index(d, []byte("key-2"))
			d[i] = 'K'
			return d
		}, 1, []string{"key-1", "key-3"}},
		{"impossible length", func(d []byte) []byte {
			i := bytes.Index(d, []byte("key-2")) - 24
			d[i] = 0xff
			return d
		}, 1, []string{"key-1"}},
		{"garbage appended", func(d []byte) []byte { return append(d, "\x00\x00\x00\x20garbage"...) }, 1, []string{"key-1", "key-2", "key-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store")
			data := write(t, path, "key-1", "key-2", "key-3")
			require.NoError(t, os.WriteFile(path, tt.damage(data), 0o600))
			s := openFileStore(t, path, clock)
			assert.Equal(t, tt.wantSkipped, s.Skipped())
			assert.Equal(t, len(tt.wantKept), s.Len())
			for _, k := range tt.wantKept {
				first, err := s.Claim(ctx, k, time.Hour)
				require.NoError(t, err)
				assert.False(t, first, "%s kept", k)
			}
			require.NoError(t, s.Close())
			s = openFileStore(t, path, clock)
			assert.Zero(t, s.Skipped(), "the damage is compacted away")
		})
	}

	for _, content := range []string{"not a journal\n", "bouncepolicy store journal v2\n", "x"} {
		path := filepath.Join(t.TempDir(), "store")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := policy.OpenFileStore(path, policy.FileStoreOptions{})
		assert.ErrorIs(t, err, policy.ErrStoreFile, "%q", content)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, content, string(got), "left untouched")
	}
	path := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	openFileStore(t, path, clock) // an empty file is an empty journal
}

// TestFileStoreLocked: one path opens once at a time.
func TestFileStoreLocked(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock on " + runtime.GOOS)
	}
	path := filepath.Join(t.TempDir(), "store")
	s := openFileStore(t, path, newFakeClock())
	_, err := policy.OpenFileStore(path, policy.FileStoreOptions{})
	assert.ErrorContains(t, err, "locked")
	require.NoError(t, s.Close())
	openFileStore(t, path, newFakeClock())
}

// TestFileStoreSync: with Sync, changes are kept alike.
func TestFileStoreSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store")
	s, err := policy.OpenFileStore(path, policy.FileStoreOptions{Sync: true})
	require.NoError(t, err)
	_, err = s.Claim(context.Background(), "k", time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s = openFileStore(t, path, newFakeClock())
	assert.Equal(t, 1, s.Len())
}
