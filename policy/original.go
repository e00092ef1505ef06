package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// maxReplay bounds the bytes of the original kept while its header is
// scanned, so that a DSN can return them: a header up to 1 MiB (what
// dsn.Compose reads) and what the scan read past it. A longer header is
// scanned in full, but the original is then not returned.
const maxReplay = 1<<20 + 4<<10

// errNotReturnable says the original's header was too long to keep.
var errNotReturnable = errors.New("its header is over 1 MiB")

// original is the original message of an event, opened at most once per
// decision: its header is scanned for the rules, and the bytes read to do
// so are kept, so that a DSN returns the very bytes the rules looked at,
// followed by the rest of the stream.
type original struct {
	open   func() (io.ReadCloser, error) // nil: no original
	rc     io.ReadCloser
	read   replayBuffer // what the header scan consumed from rc
	header header
	err    error
}

// replayBuffer keeps what is written to it up to maxReplay bytes; past
// that, nothing.
type replayBuffer struct {
	bytes.Buffer
	over bool
}

func (b *replayBuffer) Write(p []byte) (int, error) {
	switch {
	case b.over:
	case b.Len()+len(p) > maxReplay:
		b.over, b.Buffer = true, bytes.Buffer{}
	default:
		b.Buffer.Write(p)
	}
	return len(p), nil
}

// load opens the original and scans its header, once.
func (o *original) load() error {
	if o.rc != nil || o.err != nil || o.open == nil {
		return o.err
	}
	if o.rc, o.err = o.open(); o.err != nil {
		o.err = fmt.Errorf("policy: opening the original: %w", o.err)
		return o.err
	}
	if o.header, o.err = scanHeader(io.TeeReader(o.rc, &o.read)); o.err != nil {
		o.err = fmt.Errorf("policy: reading the original's header: %w", o.err)
	}
	return o.err
}

// Header returns what the rules read of the original's header; zero when
// there is no original.
func (o *original) Header() (header, error) {
	err := o.load()
	return o.header, err
}

// Reader returns the whole original, from its first byte; nil when there
// is none. It may be called once. The error wraps errNotReturnable when
// the header was too long to keep.
func (o *original) Reader() (io.Reader, error) {
	if err := o.load(); err != nil || o.rc == nil {
		return nil, err
	}
	if o.read.over {
		return nil, errNotReturnable
	}
	return io.MultiReader(&o.read, o.rc), nil
}

// Close closes the original, if it was opened.
func (o *original) Close() {
	if o.rc != nil {
		o.rc.Close()
	}
}

// marksAutomatic reports whether a field marks the original as a bounce
// or an automatic message, which must not be answered by another
// (rule 4).
func marksAutomatic(name, value string) bool {
	plain, _ := mailsyntax.StripComments(value)
	first, _, _ := strings.Cut(plain, ";")
	first = strings.TrimSpace(first)
	if name == "Auto-Submitted" {
		// RFC 3834 §5: any value but "no" marks an automatic message, and
		// RFC 3834 §2 forbids answering one automatically.
		return !strings.EqualFold(first, "no")
	}
	// RFC 6522 §3: a multipart/report is a report (a DSN, an MDN…).
	return strings.EqualFold(first, "multipart/report")
}
