package dsn

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir holds real-world bounces beside the project (see its README).
const corpusDir = "../../shared/testdata/dsn-corpus"

// corpusExpectation is what testdata/corpus/expect.tsv says of one file.
type corpusExpectation struct {
	kind       string   // "dsn", "not-a-dsn" or "malformed"
	recipients []string // "address action status", in order
}

func readCorpusExpectations(t *testing.T) map[string]*corpusExpectation {
	t.Helper()
	f, err := os.Open("testdata/corpus/expect.tsv")
	require.NoError(t, err)
	defer f.Close()
	want := map[string]*corpusExpectation{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.GreaterOrEqual(t, len(cols), 3, "expect.tsv line %q", line)
		e := want[cols[0]]
		if e == nil {
			e = &corpusExpectation{kind: "dsn"}
			want[cols[0]] = e
		}
		switch cols[1] {
		case "not-a-dsn", "malformed":
			e.kind = cols[1]
		default:
			require.Len(t, cols, 4, "expect.tsv line %q", line)
			e.recipients = append(e.recipients, strings.Join(cols[1:], " "))
		}
	}
	require.NoError(t, sc.Err())
	return want
}

// TestParseCorpus parses every real-world message of the corpus: the
// recipients, actions and status codes of each DSN (RFC 3464 §2.3.2-§2.3.4)
// must equal the reviewed table, and every other message must give
// ErrNotDSN.
func TestParseCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skipf("no corpus at %s (it lives beside the project in ../shared; skipping the real-world corpus test)", corpusDir)
	}
	want := readCorpusExpectations(t)
	var dsns, notDSNs, malformed, matched int
	for _, path := range files {
		name := filepath.Base(path)
		e := want[name]
		if !assert.NotNil(t, e, "%s is not in testdata/corpus/expect.tsv", name) {
			continue
		}
		ok := t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			r, err := Parse(f)
			switch e.kind {
			case "not-a-dsn":
				notDSNs++
				require.ErrorIs(t, err, ErrNotDSN)
				return
			case "malformed":
				malformed++
				require.ErrorIs(t, err, ErrInvalidField)
				return
			}
			dsns++
			require.NoError(t, err)
			var got []string
			for _, rc := range r.Recipients {
				got = append(got, rc.FinalRecipient.Addr+" "+string(rc.Action)+" "+rc.Status.String())
			}
			require.Equal(t, e.recipients, got)
		})
		if ok {
			matched++
		}
	}
	t.Logf("corpus: %d files: %d DSNs, %d not DSNs, %d malformed; %d as expected",
		len(files), dsns, notDSNs, malformed, matched)
	assert.Len(t, want, len(files), "expect.tsv lists files the corpus does not hold")
}
