package dsn

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// ComposeOptions tunes Compose. The zero value composes a DSN that returns
// the original's header, with the system clock and random identifiers.
type ComposeOptions struct {
	// Ret is the RET parameter the original was sent with (RFC 3461 §4.3);
	// "" when it was absent.
	Ret Ret
	// DefaultReturn is what to return when Ret is absent; the zero value
	// means ReturnHeaders.
	DefaultReturn ReturnedContent
	// ReturnSizeLimit is the largest original returned in full, in bytes;
	// a larger one is returned as headers only, never cut (RFC 3461 §6.2).
	// Zero means no limit. With a limit, Compose holds up to that many
	// bytes of the original in memory to decide, and checks them: NUL
	// bytes or a line over 998 bytes (RFC 5321 §4.5.3.1.6) return headers
	// only. Without one, an original larger than a small buffer streams
	// unchecked, labelled 8bit, with over-long lines broken by CRLF and a
	// space.
	ReturnSizeLimit int64
	// SevenBit says the path toward the return path is 7-bit only (no
	// 8BITMIME). The returned content then stays 7-bit: an 8-bit header is
	// returned quoted-printable encoded, and an original with an 8-bit body
	// is returned as headers only. To know, Compose holds the original in
	// memory up to ReturnSizeLimit, or 4 MB without a limit; a larger
	// original is returned as headers only. It concerns the returned
	// content and the text part: a report that needs UTF-8 itself
	// (SMTPUTF8) needs an 8-bit path anyway (RFC 6531 §3.1).
	SevenBit bool
	// Now is the clock for the Date field when Report.Date is zero; nil
	// means time.Now.
	Now func() time.Time
	// MessageID makes the Message-ID when Report.MessageID is empty; nil
	// means a random one at the reporting MTA.
	MessageID func() string
	// Boundary is the multipart boundary; empty means a random one. A fixed
	// boundary is for tests: a returned original that holds it would end
	// the report early.
	Boundary string
	// Text, when set, writes the human-readable first part in place of
	// Report.Text or the default summary (RFC 6522 §3). Line endings are
	// normalised as for Report.Text, and the same 64 KiB limit applies;
	// non-ASCII text goes as 8bit UTF-8 in an RFC 6533 report, else
	// quoted-printable.
	Text func(w io.Writer, r *Report) error
}

// Envelope is the SMTP envelope to send a composed DSN with: a null
// reverse path (RFC 3461 §6.2, RFC 5321 §4.5.5) and the original's return
// path as the only recipient.
type Envelope struct {
	MailFrom string          // always "": MAIL FROM:<>
	RcptTo   string          // the return path, source route stripped
	Returned ReturnedContent // how much of the original the DSN carries
	Size     int64           // bytes written
}

// Compose writes r as a delivery status notification (RFC 3464, RFC 6522)
// to w, with CRLF line endings, and returns the envelope to send it with.
// original is the message reported on; it is streamed, never held in full
// unless ReturnSizeLimit or SevenBit ask for it. It may be nil when there
// is nothing to return. An original whose header is over 1 MB is not
// returned (Envelope.Returned says so), and one held whole that SMTP could
// not carry as it is (NUL bytes, lines over 998 bytes) only as headers.
//
// Compose checks every field of r first: a field that could break the
// message's structure (a control character or Unicode line separator, an
// address or host name that is no single token, a word no fold brings
// within 998 octets, an Action/Status mismatch) or could not read back
// as written (white space at a value's ends, a blank address, a host name
// outside RFC 1035 §2.3.1, a delivery-status part over the 2 MiB Parse
// reads) gives an error wrapping ErrInvalidField that names the field and
// the rule, and nothing is written. So does a failure to read the
// original's header. An error while the original streams leaves a
// partial message in w. Compose does not modify r.
func Compose(w io.Writer, r *Report, original io.Reader, opts ComposeOptions) (Envelope, error) {
	return new(Composer).Compose(w, r, original, opts)
}

// A Composer composes reports as Compose does, reusing its working memory
// from one report to the next: some kilobytes, and the buffer it last
// read an original into (up to 4 MiB), so that a report that returns an
// original of the same size again reads it without allocating. A server
// that composes many keeps Composers in a sync.Pool. The zero value is
// ready to use. A Composer must not be used by two goroutines at once.
type Composer struct {
	c     composer
	spare []byte // the room for an original, empty
	// Last, so that the garbage collector, which scans a value only up to
	// its last pointer, never reads it.
	scratch [scratchSize]byte
}

// Compose is Compose, in cc's memory.
func (cc *Composer) Compose(w io.Writer, r *Report, original io.Reader, opts ComposeOptions) (Envelope, error) {
	if r == nil {
		return Envelope{}, fieldError("Report", "nil report")
	}
	c := &cc.c // zero: each call leaves it so
	c.r, c.opts, c.orig.spare = r, opts, cc.spare
	defer func() {
		cc.spare = c.orig.spareAfter()
		*c = composer{} // a reused Composer holds on to nothing of this report
	}()
	scratch := cc.scratch[:]
	c.out.buf, scratch = scratch[:outSize:outSize], scratch[outSize:]
	c.lineBuf, scratch = scratch[:0:lineSize], scratch[lineSize:]
	c.text, scratch = scratch[:0:textSize], scratch[textSize:]
	c.ids, scratch = scratch[:0:idsSize], scratch[idsSize:]
	c.orig.buf = scratch[:0:readChunk]
	if err := c.check(); err != nil {
		return Envelope{}, err
	}
	if original != nil {
		if err := c.orig.readHeader(original, c.global); err != nil {
			return Envelope{}, err
		}
	}
	if err := c.decideReturn(); err != nil {
		return Envelope{}, err
	}
	if err := c.makeText(); err != nil {
		return Envelope{}, err
	}
	c.textEnc = c.textEncoding(c.text)
	c.returnedEnc = c.returnedEncoding()
	c.status8bit = c.global && !c.statusIsASCII()

	c.out.w = w
	c.writeHeader()
	c.writeTextPart()
	c.writeStatusPart()
	if err := c.writeReturned(); err != nil {
		return Envelope{}, err
	}
	c.delimiter(true)
	if err := c.out.flush(); err != nil {
		return Envelope{}, err
	}
	return Envelope{RcptTo: c.rcpt, Returned: c.returned, Size: c.out.n}, nil
}

// composer holds one Compose call's state.
type composer struct {
	r    *Report
	opts ComposeOptions

	// Decided by check.
	rcpt     string // the return path, source route stripped
	global   bool   // RFC 6533 types
	boundary []byte
	msgID    []byte // without angle brackets
	ids      []byte // room for boundary and msgID, from scratch

	orig     original
	returned ReturnedContent
	text     textBuffer // the human-readable part, before encoding

	// The parts' Content-Transfer-Encodings, settled before the header.
	textEnc     string
	returnedEnc string
	status8bit  bool

	out   sink
	lines crlfWriter
	parts int // delimiters written

	lineBuf []byte // room for a header field, from scratch
}

// Room for the common case, carved from the Composer's scratch.
const (
	outSize     = 1024
	lineSize    = 256
	textSize    = 512
	idsSize     = 128 // a random boundary and Message-ID, for a host of up to 61 bytes
	scratchSize = outSize + lineSize + textSize + idsSize + readChunk
)

// The default Subject by the most serious action reported.
const (
	subjectFailed    = "Undelivered Mail Returned to Sender"
	subjectDelayed   = "Delayed Mail (still being retried)"
	subjectDelivered = "Successful Mail Delivery Report"
)

func (c *composer) writeHeader() {
	r := c.r
	if r.From != "" {
		c.field("From", r.From)
	} else {
		b := c.start("From")
		b = append(b, "Mail Delivery System <postmaster@"...)
		b = append(b, r.ReportingMTA...)
		b = append(b, '>')
		c.end(b)
	}
	b := c.start("To")
	b = append(b, '<')
	b = append(b, c.rcpt...)
	b = append(b, '>')
	c.end(b)
	c.field("Subject", c.subject())
	b = c.start("Date")
	b = mailsyntax.AppendDate(b, c.date())
	c.end(b)
	c.msgIDField("Message-ID", c.msgID)
	if c.orig.msgID != nil {
		// RFC 5322 §3.6.4: the DSN answers the original.
		c.msgIDField("In-Reply-To", c.orig.msgID)
		c.msgIDField("References", c.orig.msgID)
	}
	// RFC 3834 §5: an automatic response, so no one answers it in turn.
	c.field("Auto-Submitted", "auto-replied")
	c.field("MIME-Version", "1.0")
	b = c.start("Content-Type")
	b = append(b, "multipart/report; report-type=delivery-status; boundary=\""...)
	b = append(b, c.boundary...)
	b = append(b, '"')
	c.end(b)
	if c.textEnc == enc8bit || c.status8bit || c.returnedEnc == enc8bit {
		// RFC 2045 §6.4: a multipart is no more 7bit than its parts.
		c.field("Content-Transfer-Encoding", enc8bit)
	}
	c.out.WriteString("\r\n")
}

func (c *composer) subject() string {
	// Free text: white space at its ends, which unfolding drops (RFC 5322
	// §2.2.3), is trimmed rather than refused.
	if s := strings.TrimSpace(c.r.Subject); s != "" {
		return mailsyntax.EncodeText(s)
	}
	switch c.worstAction() {
	case ActionFailed:
		return subjectFailed
	case ActionDelayed:
		return subjectDelayed
	}
	return subjectDelivered
}

// worstAction is failed if any recipient failed, else delayed if any was
// delayed, else delivered.
func (c *composer) worstAction() Action {
	worst := ActionDelivered
	for i := range c.r.Recipients {
		switch c.r.Recipients[i].Action {
		case ActionFailed:
			return ActionFailed
		case ActionDelayed:
			worst = ActionDelayed
		}
	}
	return worst
}

func (c *composer) date() time.Time {
	switch {
	case !c.r.Date.IsZero():
		return c.r.Date
	case c.opts.Now != nil:
		return c.opts.Now()
	}
	return time.Now()
}

func (c *composer) msgIDField(name string, id []byte) {
	b := c.start(name)
	b = append(b, '<')
	b = append(b, id...)
	b = append(b, '>')
	c.end(b)
}

// delimiter writes a boundary delimiter line (RFC 2046 §5.1.1); the CRLF
// before it belongs to it, except for the first, right after the header.
func (c *composer) delimiter(last bool) {
	if c.parts > 0 {
		c.out.WriteString("\r\n")
	}
	c.parts++
	c.out.WriteString("--")
	c.out.Write(c.boundary)
	if last {
		c.out.WriteString("--")
	}
	c.out.WriteString("\r\n")
}

// start begins a header field, "Name: ", in the composer's line buffer.
// The line lives in a local slice: a field of the heap-allocated composer
// would cost a GC write barrier on every append.
func (c *composer) start(name string) []byte {
	b := append(c.lineBuf, name...)
	return append(b, ": "...)
}

// end writes the field started by start, folded.
func (c *composer) end(b []byte) {
	mailsyntax.WriteFolded(&c.out, b, bytes.IndexByte(b, ':'))
}

func (c *composer) field(name, value string) {
	b := c.start(name)
	b = append(b, value...)
	c.end(b)
}

// randomLen is the random bytes in a generated boundary or Message-ID:
// unguessable enough that no original holds them by chance or design.
const randomLen = 16

// makeIdentifiers settles the boundary and the Message-ID: the options'
// or random ones, in c.ids. One read of randomness serves both.
func (c *composer) makeIdentifiers() {
	newBoundary, newID := c.opts.Boundary == "", c.msgID == nil
	var random [2 * randomLen]byte
	if newBoundary || newID {
		rand.Read(random[:])
	}
	b, start := c.ids, len(c.ids)
	if newBoundary {
		b = hex.AppendEncode(append(b, "=_"...), random[:randomLen])
	} else {
		b = append(b, c.opts.Boundary...)
	}
	c.boundary = b[start:len(b):len(b)] // the Message-ID follows it in b
	if newID {
		start = len(b)
		b = hex.AppendEncode(b, random[randomLen:])
		b = append(append(b, '@'), c.r.ReportingMTA...)
		c.msgID = b[start:]
	}
}

// keepID copies a given Message-ID into c.ids, the room for identifiers,
// rather than into memory of its own.
func (c *composer) keepID(id string) []byte {
	c.ids = append(c.ids, id...)
	n := len(c.ids)
	return c.ids[n-len(id) : n : n]
}

// textBuffer collects the human-readable part for the Text hook.
type textBuffer []byte

func (t *textBuffer) Write(p []byte) (int, error) {
	*t = append(*t, p...)
	return len(p), nil
}

func (t *textBuffer) WriteString(s string) (int, error) {
	*t = append(*t, s...)
	return len(s), nil
}

func (t *textBuffer) WriteByte(c byte) error {
	*t = append(*t, c)
	return nil
}
