package mailsyntax

import (
	"bytes"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextBreak(t *testing.T) {
	for _, tt := range []struct {
		in        string
		eof       bool
		at, after int
	}{
		{"ab\r\ncd", false, 2, 4},
		{"ab\ncd", false, 2, 3},
		{"ab\rcd", false, 2, 3},  // a lone CR
		{"ab\r", false, -1, -1},  // the next byte decides
		{"ab\r", true, 2, 3},     // nothing more comes
		{"ab", true, -1, -1},     // no break at all
		{"a\rb\nc", false, 1, 2}, // the first break wins
		{"a\nb\rc", false, 1, 2}, // either way
		{"\r\r\n", false, 0, 1},  // a lone CR, then a CRLF
		{"ab\r\r", false, 2, 3},  // a CR followed by CR is lone
	} {
		at, after := NextBreak([]byte(tt.in), 0, tt.eof)
		assert.Equal(t, []int{tt.at, tt.after}, []int{at, after}, "%q", tt.in)
	}
}

// fields walks a header block with NextField, as a reader would.
func fields(b []byte) (names []string, body int) {
	for i := 0; ; {
		name, _, next, s := NextField(b, i, true)
		if s == End {
			return names, next
		}
		if name != nil {
			names = append(names, string(name))
		}
		i = next
	}
}

// TestOneLineBreakRule: NextField and HeaderEnd, and so every reader,
// take the same line breaks and find the same end of the header.
func TestOneLineBreakRule(t *testing.T) {
	for _, tt := range []struct {
		in    string
		names []string
		body  string
	}{
		{"A: 1\r\nB: 2\r\n\r\nbody", []string{"A", "B"}, "body"},
		{"A: 1\nB: 2\n\nbody", []string{"A", "B"}, "body"},
		{"A: 1\rB: 2\r\rbody", []string{"A", "B"}, "body"},
		{"A: 1\rAuto-Submitted: auto-replied\r\n\r\nbody", []string{"A", "Auto-Submitted"}, "body"},
		{"A: 1\r\n\tcontinued\r\nB: 2\r\n\r\nbody", []string{"A", "B"}, "body"},
		{"A: 1\r continued\rB: 2\n\nbody", []string{"A", "B"}, "body"},
		{"\r\nbody", nil, "body"},
		{"\rbody", nil, "body"},
		{"From nobody\r\nA: 1\r\n\r\n", []string{"A"}, ""},
		{"A: no end", []string{"A"}, ""},
		{"A : obsolete space\r\n\r\n", []string{"A"}, ""},
	} {
		names, body := fields([]byte(tt.in))
		assert.Equal(t, tt.names, names, "%q", tt.in)
		assert.Equal(t, tt.body, tt.in[body:], "%q", tt.in)
		end, hbody := HeaderEnd([]byte(tt.in), 0, true)
		if end >= 0 {
			assert.Equal(t, body, hbody, "HeaderEnd on %q", tt.in)
		}
	}
}

// FuzzOneLineBreakRule: HeaderEnd finds the body where the NextField walk
// does, for any input.
func FuzzOneLineBreakRule(f *testing.F) {
	for _, s := range []string{"A: 1\r\n\r\nb", "A: 1\r\rb", "A\n\n", "\r\n", "A: 1\r \r\n\n", "a\r\r\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, body := fields([]byte(s))
		if end, hbody := HeaderEnd([]byte(s), 0, true); end >= 0 {
			assert.Equal(t, body, hbody, "%q", s)
		} else {
			assert.Equal(t, len(s), body, "no end found in %q, yet the walk ended at %d", s, body)
		}
	})
}

func TestUnfold(t *testing.T) {
	assert.Equal(t, "a\tb c", string(Unfold([]byte(" a\r\n\tb\r c "))))
	assert.Equal(t, "plain", string(Unfold([]byte("plain"))))
}

func TestStripComments(t *testing.T) {
	for in, want := range map[string][2]string{
		"dns; helo (192.0.2.1)": {"dns; helo", "192.0.2.1"},
		"a (b (nested) c) d":    {"a d", "b (nested) c"},
		`"q (not a comment)" x`: {`"q (not a comment)" x`, ""},
		`a (esc \) still) b`:    {"a b", `esc \) still`},
		"unclosed (comment":     {"unclosed", ""},
		"no comment":            {"no comment", ""},
	} {
		plain, comment := StripComments(in)
		assert.Equal(t, want, [2]string{plain, comment}, in)
	}
}

// TestReceivedBy reads the "by" clause of a Received field (RFC 5321 §4.4).
func TestReceivedBy(t *testing.T) {
	for in, want := range map[string]string{
		"from mail.example.org (mail.example.org [192.0.2.10]) by MX.hosted.example (Postfix) with ESMTPS id 1; Fri, 27 Nov 2026 10:00:00 +0000": "MX.hosted.example",
		"from x (by evil.example) by mx.hosted.example; date": "mx.hosted.example",
		"by mx.hosted.example; Fri, 27 Nov 2026":              "mx.hosted.example",
		"from x; Fri, 27 Nov 2026":                            "",
		"from x by":                                           "",
	} {
		assert.Equal(t, want, ReceivedBy(in), in)
	}
}

func TestAuthservID(t *testing.T) {
	for in, want := range map[string]string{
		"mx.hosted.example; spf=pass":       "mx.hosted.example",
		`"MX.hosted.example" 1; spf=pass`:   "MX.hosted.example",
		"(comment) mx.hosted.example; none": "mx.hosted.example",
		"":                                  "",
	} {
		assert.Equal(t, want, AuthservID(in), in)
	}
}

// readAll reads every field with a FieldReader of r.
func readAll(t *testing.T, r io.Reader, max int) (got []string) {
	t.Helper()
	var fr FieldReader
	fr.Reset(r, max, 0)
	for fr.Next() {
		if fr.Long() {
			got = append(got, string(fr.Name())+" (long)")
			continue
		}
		got = append(got, string(fr.Name())+":"+string(Unfold(fr.Value())))
	}
	require.NoError(t, fr.Err())
	return got
}

// TestFieldReader: the streaming reader reads what NextField reads, in
// bounded memory, however the input is cut into reads.
func TestFieldReader(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"CRLF", "A: 1\r\nB: 2\r\n\r\nbody", []string{"A:1", "B:2"}},
		{"lone CR", "A: 1\rAuto-Submitted: auto-replied\r\rB: body", []string{"A:1", "Auto-Submitted:auto-replied"}},
		{"folded", "A: 1\r\n 2\r\n\r\n", []string{"A:1 2"}},
		{"a long field, then a short one", "A: " + long + "\r\n " + long + "\r\nB: 2\r\n\r\n", []string{"A (long)", "B:2"}},
		{"a long line that is no field", strings.Repeat("y", 500) + "\r\nB: 2\r\n\r\n", []string{"B:2"}},
		{"a long field at the end", "B: 2\r\nA: " + long, []string{"B:2", "A (long)"}},
		{"a long field ended by a lone CR", "A: " + long + "\rB: 2\r\r", []string{"A (long)", "B:2"}},
		{"no header", "\r\nA: body", nil},
		{"empty", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, readAll(t, strings.NewReader(tt.in), 100))
			assert.Equal(t, tt.want, readAll(t, iotest.OneByteReader(strings.NewReader(tt.in)), 100))
			assert.Equal(t, tt.want, readAll(t, iotest.HalfReader(strings.NewReader(tt.in)), 100))
		})
	}
}

// TestFieldReaderBounded: a header of many long fields is read to its
// end in a buffer of about the longest field kept.
func TestFieldReaderBounded(t *testing.T) {
	in := strings.Repeat("X-Fill: "+strings.Repeat("f", 5000)+"\r\n", 200) + "Auto-Submitted: yes\r\n\r\n"
	var fr FieldReader
	fr.Reset(strings.NewReader(in), 1000, 0)
	n := 0
	for fr.Next() {
		n++
		assert.LessOrEqual(t, cap(fr.buf), 4*1024)
	}
	require.NoError(t, fr.Err())
	assert.Equal(t, 201, n)
}

// TestFieldReaderHeld: what a FieldReader holds, followed by what its
// reader has left, is the message, however the input is cut into reads;
// a header that has to be read on past the hold limit is let go, and the
// fields read the same.
func TestFieldReaderHeld(t *testing.T) {
	const header = "A: 1\r\nB: 2\r\n 3\r\n\r\n"
	const headerLen = len(header)
	in := header + strings.Repeat("body\r\n", 500)
	want := readAll(t, strings.NewReader(in), 100)
	var fr FieldReader
	for _, tt := range []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
	} {
		for _, hold := range []int{len(in), 30, 5} {
			src := tt.r(strings.NewReader(in))
			fr.Reset(src, 100, hold)
			var got []string
			for fr.Next() {
				got = append(got, string(fr.Name())+":"+string(Unfold(bytes.Clone(fr.Value()))))
			}
			require.NoError(t, fr.Err())
			assert.Equal(t, want, got, "%s, hold %d", tt.name, hold)
			held, ok := fr.Held()
			if hold >= headerLen || tt.name == "one byte" {
				// Read byte by byte, a header is read on past any limit below its length.
				require.Equal(t, hold >= headerLen, ok, "%s: a header of %d bytes, hold %d", tt.name, headerLen, hold)
			}
			if ok {
				rest, err := io.ReadAll(src)
				require.NoError(t, err)
				assert.Equal(t, in, string(held)+string(rest), "%s, hold %d", tt.name, hold)
			}
		}
	}
	fr.Reset(strings.NewReader(in), 100, 0)
	_, ok := fr.Held()
	assert.False(t, ok, "nothing held without a limit")
}

func TestFieldReaderError(t *testing.T) {
	var fr FieldReader
	fr.Reset(iotest.ErrReader(io.ErrClosedPipe), 100, 0)
	assert.False(t, fr.Next())
	assert.ErrorIs(t, fr.Err(), io.ErrClosedPipe)
}

func TestSkipCFWS(t *testing.T) {
	for _, tt := range []struct {
		in       string
		next     int
		unclosed bool
	}{
		{"  x", 2, false},
		{" (a (b) c)\r\n\tx", 13, false},
		{`(a \) b) x`, 9, false},
		{"(open", 5, true},
		{"", 0, false},
		{"x", 0, false},
	} {
		next, unclosed := SkipCFWS(tt.in, 0)
		assert.Equal(t, tt.next, next, "%q", tt.in)
		assert.Equal(t, tt.unclosed, unclosed, "%q", tt.in)
	}
}

// TestFieldReaderLongNameWhateverTheReads: a long field whose colon lies
// past the limit reads the same whether it comes in one read or many.
func TestFieldReaderLongNameWhateverTheReads(t *testing.T) {
	msg := "Auto-Submitted" + strings.Repeat(" ", 20) + ": auto-replied\r\nB: 1\r\n\r\n"
	assert.Equal(t, readAll(t, strings.NewReader(msg), 16), readAll(t, iotest.OneByteReader(strings.NewReader(msg)), 16))
	assert.Equal(t, []string{"B:1"}, readAll(t, strings.NewReader(msg), 16))
}

// TestLoneCRLinesLinear: a long header of lines broken by lone CRs, with
// no LF in it, is read in time linear in its length, held or not, and so
// is a walk of it with NextField: a search for each line's break must not
// run on to the end of the input. Quadratic, 8 MiB of it took minutes.
func TestLoneCRLinesLinear(t *testing.T) {
	in := []byte(strings.Repeat("A:b\r", 2<<20) + "\rbody")
	done := make(chan struct{})
	go func() {
		defer close(done)
		var fr FieldReader
		fr.Reset(bytes.NewReader(in), 1000, 1<<20+4<<10)
		n := 0
		for fr.Next() {
			n++
		}
		assert.NoError(t, fr.Err())
		assert.Equal(t, 2<<20, n)
		names, body := fields(in[:4<<20])
		assert.Len(t, names, 1<<20)
		assert.Equal(t, 4<<20, body)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("hangs")
	}
}

// TestFieldReaderSmallReadsLinear: a header read a byte at a time, of
// fields folded into many short lines, each just within the limit, is
// read in time linear in its length: each read must not walk the field's
// lines again from its start, nor move it to the front of the buffer.
// Walked again, 4 MiB of it took over a minute.
func TestFieldReaderSmallReadsLinear(t *testing.T) {
	field := "Subject: x" + strings.Repeat("\r\n y", 1900) + "\r\n"
	in := strings.Repeat(field, (4<<20)/len(field)) + "\r\nbody"
	for _, hold := range []int{0, 1 << 20} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			var fr FieldReader
			fr.Reset(iotest.OneByteReader(strings.NewReader(in)), 8<<10, hold)
			n := 0
			for fr.Next() {
				assert.False(t, fr.Long())
				n++
			}
			assert.NoError(t, fr.Err())
			assert.Equal(t, (4<<20)/len(field), n)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("hold %d: hangs", hold)
		}
	}
}

// byteBreak is NextBreak as the rule says it, a byte at a time.
func byteBreak(b []byte, i int, eof bool) (at, after int) {
	for ; i < len(b); i++ {
		switch {
		case b[i] == '\n':
			return i, i + 1
		case b[i] != '\r':
		case i+1 < len(b) && b[i+1] == '\n':
			return i, i + 2
		case i+1 < len(b) || eof:
			return i, i + 1
		default:
			return -1, -1 // the next byte decides
		}
	}
	return -1, -1
}

// TestNextBreakMatchesByteScan: NextBreak's windowed search finds what a
// byte-by-byte scan finds, with breaks at and across the edges of its
// windows (1 KiB, doubling), from any index, at the end of the input or
// not; HeaderEnd, from 0 or resumed 3 bytes before the end of what it
// saw last (as dsn reads), finds the empty line a walk with it finds.
func TestNextBreakMatchesByteScan(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	edges := []int{1023, 1024, 3071, 3072, 7167, 7168, 15359, 15360}
	for range 5000 {
		b := make([]byte, r.Intn([]int{24, 16 << 10}[r.Intn(2)]))
		density := r.Float64() * r.Float64() * r.Float64()
		for i := range b {
			b[i] = 'a'
			if r.Float64() < density {
				b[i] = "\r\n"[r.Intn(2)]
			}
		}
		for _, e := range edges {
			if e < len(b) && r.Intn(3) == 0 {
				copy(b[e:], [][]byte{{'\r'}, {'\r', '\n'}, {'\n'}, {'\r', '\r'}}[r.Intn(4)])
			}
		}
		eof := r.Intn(2) == 0
		for _, i := range []int{0, r.Intn(len(b) + 1), max(0, len(b)-1), len(b)} {
			at, after := NextBreak(b, i, eof)
			wantAt, wantAfter := byteBreak(b, i, eof)
			require.Equal(t, []int{wantAt, wantAfter}, []int{at, after}, "len %d, from %d, eof %v", len(b), i, eof)
		}
		wantEnd, wantBody := -1, -1
		for i := 0; ; {
			at, after := byteBreak(b, i, eof)
			if at < 0 || at == i {
				if at >= 0 {
					wantEnd, wantBody = i, after
				}
				break
			}
			i = after
		}
		end, body := HeaderEnd(b, 0, eof)
		require.Equal(t, []int{wantEnd, wantBody}, []int{end, body}, "HeaderEnd, len %d, eof %v", len(b), eof)
		end, body, from := -1, -1, 0
		for n := 0; n < len(b) && end < 0; from = max(0, n-3) {
			n = min(len(b), n+1+r.Intn(2000))
			end, body = HeaderEnd(b[:n], from, eof && n == len(b))
		}
		require.Equal(t, []int{wantEnd, wantBody}, []int{end, body}, "HeaderEnd in reads, len %d, eof %v", len(b), eof)
	}
}
