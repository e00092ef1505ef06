// Package e2etest holds what the tests of the example servers (spfmilter,
// bouncemilter, bouncegate) that run them whole share: a log that their
// sessions write to concurrently, and the zone file of their -zone flag.
package e2etest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Log is a log that sessions write to concurrently, read as it grows.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is what was written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Count counts the occurrences of sub in what was written so far.
func (l *Log) Count(sub string) int { return strings.Count(l.String(), sub) }

// ZoneFile writes zone, the text of an RFC 1035 zone file, to a file of
// the test's temporary directory, and returns its name.
func ZoneFile(t testing.TB, zone string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "test.zone")
	if err := os.WriteFile(name, []byte(zone), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}
