package dsn

import (
	"io"
	"time"
)

// Settled returns o with what Compose would otherwise choose anew at each
// call for r fixed: the boundary, the Message-ID and the Date when r gives
// none, and the text the Text hook writes. Composing r again with the
// settled options writes the same
// message, byte for byte, as long as the original reads the same: a
// caller can compose a report once to learn its envelope and size, and
// again, later, to send it. The error is the one Compose would give for
// an invalid option.
func (o ComposeOptions) Settled(r *Report) (ComposeOptions, error) {
	if r == nil {
		return o, fieldError("Report", "nil report")
	}
	c := composer{r: r, opts: o}
	if r.MessageID != "" {
		c.msgID = []byte(r.MessageID) // Compose takes r's: none to make
	}
	if err := c.checkOptions(); err != nil {
		return o, err
	}
	if o.Boundary == "" {
		o.Boundary = string(c.boundary)
	}
	if r.MessageID == "" {
		id := string(c.msgID)
		o.MessageID = func() string { return id }
	}
	if r.Date.IsZero() {
		date := c.date()
		o.Now = func() time.Time { return date }
	}
	if o.Text != nil {
		var text textBuffer
		if err := o.Text(&text, r); err != nil {
			return o, err
		}
		o.Text = func(w io.Writer, _ *Report) error {
			_, err := w.Write(text)
			return err
		}
	}
	return o, nil
}
