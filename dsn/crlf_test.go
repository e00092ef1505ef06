package dsn

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// allLinesClean is the reference linesProven must agree with: every line
// of q[1:] ends in CRLF, holds no bare CR and fits in 998 bytes
// (RFC 5322 §2.1, §2.1.1, §2.3), found by searching line by line.
func allLinesClean(q []byte) bool {
	return searchLines(q[1:], 0, -1) == len(q)-1
}

// proofInput makes q as cleanLines hands it over: the LF that ends the
// line before, and lines up to a last LF.
func proofInput(lines string) []byte {
	q := []byte("\n" + lines)
	if q[len(q)-1] != '\n' {
		q = append(q, '\r', '\n')
	}
	return q
}

// RFC 5322 §2.3: a CR or an LF put anywhere in clean lines, at every
// offset against the 64-byte windows and the overlapping last one, is
// never proven clean.
func TestLinesProvenMissesNoStrayCRLFRFC5322Section2_3(t *testing.T) {
	for _, width := range []int{2, 3, 63, 64, 65, 70, 78} {
		clean := proofInput(strings.Repeat(strings.Repeat("x", width-2)+"\r\n", 400/width+3))
		for i := 1; i < len(clean); i++ {
			for _, c := range []byte{'\r', '\n', 'y'} {
				q := bytes.Clone(clean)
				q[i] = c
				if linesProven(q) && !allLinesClean(q) {
					t.Fatalf("width %d: %q at %d proven clean", width, c, i)
				}
			}
		}
	}
}

// RFC 5322 §2.1.1: a line over 998 bytes is never proven clean, wherever
// it lies against the windows; one of 998 is clean, proven or not.
func TestLinesProvenMissesNoLongLineRFC5322Section2_1_1(t *testing.T) {
	for lead := range 66 {
		for trail := range 130 {
			for _, n := range []int{998, 999, 1000} {
				q := proofInput(strings.Repeat("b", lead) + "\r\n" + strings.Repeat("c", n) + "\r\n" +
					strings.Repeat("d\r\n", trail/3) + strings.Repeat("e", trail%3))
				if linesProven(q) && !allLinesClean(q) {
					t.Fatalf("lead %d, trail %d, line of %d: proven clean", lead, trail, n)
				}
				if n <= maxLineLen && !allLinesClean(q) {
					t.Fatalf("lead %d, trail %d: a line of %d is not clean", lead, trail, n)
				}
			}
		}
	}
}

// Random lines with every kind of line break and length agree with the
// search.
func TestLinesProvenAgreesWithSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ends := []string{"\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n", "\n\r"}
	proven := 0
	for i := range 3000 {
		kinds := 1 + i%2*(len(ends)-1) // half the inputs have only CRLF
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(strings.Repeat("z", rng.IntN(1100)>>rng.IntN(6)))
			b.WriteString(ends[rng.IntN(kinds)])
		}
		q := proofInput(b.String())
		got, want := linesProven(q), allLinesClean(q)
		if got && !want {
			t.Fatalf("proven clean, but not: %q", q)
		}
		if got {
			proven++
		}
	}
	t.Logf("%d of 3000 proven clean", proven)
}

func FuzzLinesProven(f *testing.F) {
	f.Add(strings.Repeat("line\r\n", 20))
	f.Add(strings.Repeat("line\r\n", 20) + "bare\n" + strings.Repeat("line\r\n", 20))
	f.Add(strings.Repeat("w", 1200) + "\r\n")
	f.Fuzz(func(t *testing.T, lines string) {
		if lines == "" {
			return
		}
		if q := proofInput(lines); linesProven(q) && !allLinesClean(q) {
			t.Fatalf("proven clean, but not: %q", q)
		}
	})
}

// writeCRLF writes in through crlfWriter in pieces split at the given
// offsets, as Compose would, and returns what came out.
func writeCRLF(t testing.TB, in []byte, splits ...int) []byte {
	var out bytes.Buffer
	s := &sink{w: &out, buf: make([]byte, 64)}
	c := crlfWriter{w: s}
	prev := 0
	for _, at := range splits {
		at = min(max(at, prev), len(in))
		c.Write(in[prev:at])
		prev = at
	}
	c.Write(in[prev:])
	c.close()
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// checkCRLFOutput checks what crlfWriter made of in: lines that end in
// CRLF, hold no bare CR and fit in 998 bytes (RFC 5322 §2.1, §2.1.1,
// §2.3), and the bytes of in, in order, with nothing added but line
// breaks and the one space after each fold.
func checkCRLFOutput(t testing.TB, in, out []byte) {
	t.Helper()
	for i, ch := range out {
		if ch == '\n' && (i == 0 || out[i-1] != '\r') || ch == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			t.Fatalf("bare CR or LF at %d of %q", i, out)
		}
	}
	lines := bytes.Split(out, []byte("\r\n"))
	for _, line := range lines {
		if len(line) > maxLineLen {
			t.Fatalf("line of %d bytes", len(line))
		}
	}
	// Without line breaks, in and out differ only by the folds' spaces: a
	// space at the start of a line that follows a full one.
	want := strings.NewReplacer("\r", "", "\n", "").Replace(string(in))
	var got []byte
	for i, line := range lines {
		if i > 0 && len(lines[i-1]) == maxLineLen && bytes.HasPrefix(line, []byte(" ")) && !bytes.HasPrefix([]byte(want[len(got):]), line) {
			line = line[1:]
		}
		got = append(got, line...)
	}
	if string(got) != want {
		t.Fatalf("content changed:\n%q\n%q", in, out)
	}
}

// Whatever it is given, in up to three writes, crlfWriter writes lines
// that end in CRLF and fit in 998 bytes, and loses nothing.
func FuzzCRLFWriter(f *testing.F) {
	f.Add([]byte(strings.Repeat("line\r\n", 30)+"bare\n"+strings.Repeat("line\r\n", 30)), uint16(100), uint16(200))
	f.Add([]byte(strings.Repeat("x", 1500)+"\r\n"+strings.Repeat("y\r", 40)), uint16(999), uint16(1000))
	f.Fuzz(func(t *testing.T, in []byte, i, j uint16) {
		checkCRLFOutput(t, in, writeCRLF(t, in, int(i), int(j)))
	})
}

// A write larger than crlfBlock is checked a block at a time: what a
// block's end splits comes out as if written whole.
func TestCRLFWriterAcrossBlocks(t *testing.T) {
	line := strings.Repeat("b", 68) + "\r\n"
	body := strings.Repeat(line, 2*crlfBlock/len(line)+2)
	for _, tt := range []struct {
		name string
		at   int // where in body the change goes, against the first block's end
		old  string
		new  string
	}{
		{"CRLF split by the block end", crlfBlock - 1, "b", "\r"},
		{"bare LF after the block end", crlfBlock + 5, "b", "\n"},
		{"bare CR before the block end", crlfBlock - 3, "b", "\r"},
		{"long line across the block end", crlfBlock - 500, "", strings.Repeat("l", 1200)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(body[:tt.at] + tt.new + body[tt.at+len(tt.old):])
			out := writeCRLF(t, in)
			checkCRLFOutput(t, in, out)
			assert.Equal(t, string(out), string(writeCRLF(t, in, crlfBlock/3, crlfBlock+7)), "the same in other writes")
		})
	}
}
