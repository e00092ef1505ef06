package policy

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// maxReplay bounds the original's header held while it is scanned, so
// that a DSN can return it: 1 MiB, what dsn.Compose reads, and some. A
// longer header is scanned in full, but the original is then not
// returned.
const maxReplay = maxReturnedHeader + 4<<10

// maxReturnedHeader is the longest header dsn.Compose returns, up to its
// empty line.
const maxReturnedHeader = 1 << 20

// errNotReturnable says the original's header was too long to hold.
var errNotReturnable = errors.New("its header is over 1 MiB")

// original is the original message of an event, opened at most once per
// decision: its header is scanned for the rules, and the bytes read to do
// so are held, so that a DSN returns the very bytes the rules looked at,
// followed by the rest of the stream. It lives in a decision's scratch,
// and reset readies it for the next.
type original struct {
	open   func() (io.ReadCloser, error) // nil: no original
	trace  bool                          // keep the trace fields: rule 8 may read them
	reply  *replyHeader                  // for DecideReply: what its rules read
	rc     io.ReadCloser
	fr     mailsyntax.FieldReader // reads the header, holding what it read
	header header
	err    error
	replay replay
	sized  sizedReplay
}

// reset lets go of the original, keeping the header buffer for the next.
func (o *original) reset() {
	o.fr.Reset(nil, 0, 0)
	*o = original{fr: o.fr}
}

// load opens the original and scans its header, once.
func (o *original) load() error {
	if o.rc != nil || o.err != nil || o.open == nil {
		return o.err
	}
	if o.rc, o.err = openOriginal(o.open); o.err != nil {
		o.err = fmt.Errorf("policy: opening the original: %w", o.err)
		return o.err
	}
	o.fr.Reset(o.rc, maxFieldLen, maxReplay)
	if o.header, o.err = scanHeader(&o.fr, o.trace, o.reply); o.err != nil {
		o.err = fmt.Errorf("policy: reading the original's header: %w", o.err)
	}
	return o.err
}

// errNoReader says Event.Original returned neither a reader nor an error.
var errNoReader = errors.New("no reader and no error")

// openOriginal calls open, which must give a reader or an error.
func openOriginal(open func() (io.ReadCloser, error)) (io.ReadCloser, error) {
	rc, err := open()
	if rc == nil && err == nil {
		err = errNoReader
	}
	return rc, err
}

// Header returns what the rules read of the original's header; zero when
// there is no original.
func (o *original) Header() (header, error) {
	err := o.load()
	return o.header, err
}

// Reader returns the whole original, from its first byte: what the
// header scan read, then the rest of the stream; nil when there is none.
// When the stream tells its length, so does the reader, and dsn.Compose
// reads a large original into one buffer of its size. Reader may be
// called once. The error wraps errNotReturnable when the header was too
// long to hold.
func (o *original) Reader() (io.Reader, error) {
	if err := o.load(); err != nil || o.rc == nil {
		return nil, err
	}
	held, ok := o.fr.Held()
	if ok {
		// The scan read the header to its end, which held decides: the
		// header is all of it when it has no empty line.
		end, _ := mailsyntax.HeaderEnd(held, 0, true)
		ok = end <= maxReturnedHeader && (end >= 0 || len(held) <= maxReturnedHeader)
	}
	if !ok {
		return nil, errNotReturnable
	}
	o.replay = replay{held: held, rest: o.rc}
	if l, ok := o.rc.(lener); ok {
		o.sized = sizedReplay{replay: &o.replay, left: l}
		return &o.sized, nil
	}
	return &o.replay, nil
}

// Close closes the original, if it was opened.
func (o *original) Close() {
	if o.rc != nil {
		o.rc.Close()
	}
}

// lener is a reader that tells how much it has left, as bytes.Reader does.
type lener interface{ Len() int }

// replay reads the bytes the header scan held, then the rest of the
// stream.
type replay struct {
	held []byte
	rest io.Reader
}

func (r *replay) Read(p []byte) (int, error) {
	if len(r.held) == 0 {
		return r.rest.Read(p)
	}
	n := copy(p, r.held)
	r.held = r.held[n:]
	return n, nil
}

// WriteTo hands over the held bytes and then the stream's, through its
// own WriteTo where it has one, as io.MultiReader would.
func (r *replay) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.held)
	r.held = r.held[n:]
	if err != nil {
		return int64(n), err
	}
	var m int64
	if wt, ok := r.rest.(io.WriterTo); ok {
		m, err = wt.WriteTo(w)
	} else {
		m, err = io.Copy(w, mailsyntax.Progressing(r.rest))
	}
	return int64(n) + m, err
}

// sizedReplay is a replay of a stream that tells its length.
type sizedReplay struct {
	*replay
	left lener // the stream
}

// Len returns how many bytes are left.
func (r *sizedReplay) Len() int { return len(r.held) + r.left.Len() }

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
