package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// outcome is what one connection settled: the failures that are final
// for this send, and, when the host failed before settling the rest,
// the reason and the recipients for the next host.
type outcome struct {
	failed  []*Error
	retry   *Error // nil when every recipient was settled
	pending []rcpt // the recipients retry concerns
}

// attempt runs one SMTP session with the server at addr, named host, for
// rcpts, all at one domain or all for the next hop.
func (c *Client) attempt(ctx context.Context, tx *transaction, host, addr string, rcpts []rcpt) (out outcome) {
	conn, err := c.dial(ctx, addr)
	if err != nil {
		return retryAll(connError(ctx, nil, "connecting to "+addr, err), host, rcpts)
	}
	// The context's end closes the connection: go-smtp knows no
	// context, and a server that never answers must not hold Send.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	sc := smtp.NewClient(&writeDeadlineConn{Conn: &replyLimitConn{Conn: conn}, timeout: c.timeout()})
	defer sc.Close()
	sc.CommandTimeout = c.timeout()
	sc.SubmissionTimeout = 2 * c.timeout() // RFC 5321 §4.5.3.2.6

	// RFC 5321 §4.1.1.10: the client ends with QUIT, where the
	// connection still stands and no message data is half sent.
	quit := false
	defer func() {
		if quit {
			_ = sc.Quit()
		}
	}()
	// step classes a step's error; quit says whether QUIT may follow.
	step := func(name string, err error) *Error {
		e := sessionError(ctx, nil, name, err)
		e.Host = host
		quit = !closing(e)
		return e
	}

	if err := sc.Hello(c.HELO); err != nil {
		return retryAll(step("EHLO", err), host, rcpts)
	}
	quit = true
	if e := checkExtensions(sc, tx); e != nil {
		return retryAll(e, host, rcpts) // another host may offer it
	}
	mail := tx.mail
	mail.UTF8 = tx.utf8 == needRequired || tx.utf8 == needIfOffered && offers(sc, "SMTPUTF8")
	if err := sc.Mail(tx.from, &mail); err != nil {
		e := step("MAIL", err)
		if e.Temporary {
			return retryAll(e, host, rcpts) // RFC 5321 §5.1: the next host
		}
		e.Recipients = addrs(rcpts)
		return outcome{failed: []*Error{e}}
	}

	var accepted []rcpt
	for i, r := range rcpts {
		err := sc.Rcpt(r.addr, &r.opts)
		if err == nil {
			accepted = append(accepted, r)
			continue
		}
		e := step("RCPT", err)
		if closing(e) {
			// The server is going away: whoever it accepted and
			// whoever is left go to the next host.
			rest := append(accepted, rcpts[i:]...)
			e.Recipients = addrs(rest)
			out.retry, out.pending = e, rest
			return out
		}
		e.Recipients = []string{r.addr}
		out.failed = append(out.failed, e)
	}
	if len(accepted) == 0 {
		return out
	}
	settle := func(e *Error) outcome {
		e.Host, e.Recipients = host, addrs(accepted)
		out.failed = append(out.failed, e)
		return out
	}

	w, err := sc.Data()
	if err != nil {
		e := step("DATA", err)
		if closing(e) {
			// None of the message was sent: the next host may
			// take it.
			e.Recipients = addrs(accepted)
			out.retry, out.pending = e, accepted
			return out
		}
		return settle(e)
	}
	// From here on the server may have the message: a failure settles
	// the accepted recipients; the next try is the caller's, later.
	quit = false // no QUIT in the middle of the data
	cw := &connWriter{w: w}
	if err := tx.writeMessage(cw); err != nil {
		if cw.err == nil {
			// The message's own error: the connection closes
			// without the final dot, so the server drops what it
			// has (RFC 5321 §4.1.1.10).
			return settle(&Error{Temporary: true, EnhancedCode: "4.3.0", Text: "writing the message", Err: err})
		}
		return settle(step("message data", err))
	}
	if err := w.Close(); err != nil {
		return settle(step("end of data", err))
	}
	quit = true
	return out
}

// retryAll is the outcome of a host that settled none of rcpts.
func retryAll(e *Error, host string, rcpts []rcpt) outcome {
	e.Host, e.Recipients = host, addrs(rcpts)
	return outcome{retry: e, pending: rcpts}
}

// checkExtensions refuses a server without an extension the message
// needs: not a reply but the client's own refusal, permanent, since the
// server said what it offers.
func checkExtensions(sc *smtp.Client, tx *transaction) *Error {
	switch {
	case tx.utf8 == needRequired && !offers(sc, "SMTPUTF8"):
		// RFC 6531 §3.4: not sent, reported as undeliverable.
		return &Error{EnhancedCode: "5.6.7", Text: "server does not offer SMTPUTF8, which the message needs (RFC 6531 §3.4)"}
	case tx.eightBit == needRequired && !offers(sc, "8BITMIME"):
		// RFC 6152 §3: not sent as 8-bit to a server without it.
		return &Error{EnhancedCode: "5.6.3", Text: "server does not offer 8BITMIME, which the message needs (RFC 6152 §3)"}
	}
	return nil
}

func offers(sc *smtp.Client, ext string) bool {
	ok, _ := sc.Extension(ext)
	return ok
}

// closing reports a 421 reply: the server is closing the connection
// (RFC 5321 §3.8), whatever the command.
func closing(e *Error) bool { return e.Code == 421 || e.Code == 0 }

// sessionError classes what go-smtp returned for a step: a reply by its
// first digit (RFC 5321 §4.2.1: 4 transient, 5 permanent), anything
// else, a network error, a timeout, a closed connection, as temporary.
func sessionError(ctx context.Context, rcpts []string, step string, err error) *Error {
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) && smtpErr.Code >= 400 && smtpErr.Code < 600 {
		e := &Error{Recipients: rcpts, Temporary: smtpErr.Code < 500, Code: smtpErr.Code}
		if ec := smtpErr.EnhancedCode; ec != smtp.EnhancedCodeNotSet && ec != smtp.NoEnhancedCode {
			e.EnhancedCode = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		e.EnhancedCode, e.Text = replyText(smtpErr.Code, e.EnhancedCode, smtpErr.Message)
		return e
	}
	return connError(ctx, rcpts, step, err)
}

// replyText takes the enhanced status code off every line of a reply's
// text, where RFC 2034 §3 puts it; go-smtp takes it off the first line
// only, and only when that line has it. The first code found, of the
// reply's class, is the reply's.
func replyText(code int, enhanced, text string) (string, string) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		word, rest, _ := strings.Cut(line, " ")
		st, err := dsn.ParseStatus(word)
		if err != nil || st.Class != code/100 {
			continue
		}
		if enhanced == "" {
			enhanced = word
		}
		lines[i] = rest
	}
	return enhanced, strings.Join(lines, "\n")
}

// connError is a failure without a reply: temporary (RFC 5321 §4.5.4.1:
// the client tries again later).
func connError(ctx context.Context, rcpts []string, step string, err error) *Error {
	if ctx.Err() != nil {
		return ctxError(ctx, rcpts, step+" interrupted")
	}
	ec := "4.4.2" // bad connection (RFC 3463 §3.5)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		ec = "4.4.1" // no answer from host
	}
	return &Error{Recipients: rcpts, Temporary: true, EnhancedCode: ec, Text: step + " failed", Err: err}
}

// ctxError is the failure of whatever the context's end interrupted.
func ctxError(ctx context.Context, rcpts []string, text string) *Error {
	return &Error{Recipients: rcpts, Temporary: true, EnhancedCode: "4.4.0", Text: text, Err: ctx.Err()}
}

func (c *Client) dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	if c.Dial != nil {
		return c.Dial(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// writeDeadlineConn bounds each write, so that a server that stops
// reading the data cannot hold the client (RFC 5321 §4.5.3.2.5: a data
// block). go-smtp bounds the waits for replies.
type writeDeadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *writeDeadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// maxReplyBytes bounds one reply, all its lines: RFC 5321 §4.5.3.1.5
// bounds a line (go-smtp cuts one at 2000 octets) but not their number,
// and net/textproto holds every line of a reply in memory until its last,
// so a server that never sends the last could take all of it before
// Timeout. 64 KiB is far more than any EHLO list or explanation.
const maxReplyBytes = 64 << 10

// errReplyTooLong ends the reading of a reply over maxReplyBytes.
var errReplyTooLong = fmt.Errorf("reply longer than %d octets (RFC 5321 §4.2.1: a multi-line reply that never ends)", maxReplyBytes)

// replyLimitConn cuts off a reply over maxReplyBytes. It follows the
// lines as net/textproto reads them (RFC 5321 §4.2.1): a reply ends with
// a line whose code is followed by a space, and, once a reply has gone
// on with "xyz-", only with a line of the same code xyz. It may count a
// line as going on that net/textproto ends (it compares codes as bytes),
// never the other way.
type replyLimitConn struct {
	net.Conn
	size  int     // octets of the reply so far
	line  [4]byte // the first octets of the line under way
	n     int     // octets of the line under way
	code  [3]byte // the reply's code, once a line has gone on
	going bool    // a line of the reply has gone on
	err   error
}

func (c *replyLimitConn) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(p)
	for i, b := range p[:n] {
		if c.size++; c.size > maxReplyBytes {
			c.err = errReplyTooLong
			return i, c.err
		}
		if b != '\n' {
			if c.n < len(c.line) {
				c.line[c.n] = b
			}
			c.n++
			continue
		}
		c.endLine()
	}
	return n, err
}

// endLine notes the end of a line, and of the reply when it is its last.
func (c *replyLimitConn) endLine() {
	l := c.line[:min(c.n, len(c.line))]
	c.n = 0
	switch {
	case len(l) < 4:
		if !c.going {
			c.size = 0 // an error, which ends the reply
		}
	case !c.going && l[3] == '-':
		c.going, c.code = true, [3]byte(l[:3])
	case !c.going || l[3] == ' ' && [3]byte(l[:3]) == c.code:
		c.going, c.size = false, 0
	}
}

// connWriter remembers its writer's error, to tell the connection's
// failure from the message's own.
type connWriter struct {
	w   interface{ Write([]byte) (int, error) }
	err error
}

func (cw *connWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	if err != nil && cw.err == nil {
		cw.err = err
	}
	return n, err
}
