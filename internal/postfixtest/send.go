package postfixtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// SwaksPath is where Debian's swaks package puts swaks.
const SwaksPath = "/usr/bin/swaks"

// ErrNoSwaks is returned by Swaks when swaks is not installed.
var ErrNoSwaks = errors.New("postfixtest: swaks not installed (apt-get install swaks)")

// clientName is the EHLO name the senders give.
const clientName = "client.example.org"

// Envelope is what an SMTP client says about a message besides its
// content: the reverse path with its MAIL parameters (RET, ENVID,
// SMTPUTF8), the recipients with their RCPT parameters (NOTIFY, ORCPT),
// the same for every recipient.
type Envelope struct {
	From string
	To   []string
	Mail smtp.MailOptions
	Rcpt smtp.RcptOptions
}

// Send submits msg from from to the recipients over SMTP to the instance's
// smtpd. An error is the first refusal, an *smtp.SMTPError carrying
// Postfix's reply.
func (in *Instance) Send(ctx context.Context, from string, to []string, msg []byte) error {
	return in.SendEnvelope(ctx, Envelope{From: from, To: to}, msg)
}

// SendEnvelope is Send with MAIL and RCPT parameters.
func (in *Instance) SendEnvelope(ctx context.Context, env Envelope, msg []byte) error {
	c, release, err := in.dial(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := transact(c, env, msg); err != nil {
		return err
	}
	return c.Quit()
}

// SendMany submits n messages over conns SMTP connections in parallel,
// each connection carrying one transaction after another (RFC 5321 §3.3),
// msg(i) being the content of the i-th message. It is the load generator
// of throughput tests. It stops at the first error.
func (in *Instance) SendMany(ctx context.Context, n, conns int, env Envelope, msg func(i int) []byte) error {
	if n <= 0 {
		return nil
	}
	conns = max(1, min(conns, n))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.sendFrom(ctx, next, env, msg); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	// The first sender's error, or the caller's context's; nil when
	// neither ended ctx.
	return context.Cause(ctx)
}

// sendFrom sends the messages whose numbers arrive on next over one
// connection.
func (in *Instance) sendFrom(ctx context.Context, next <-chan int, env Envelope, msg func(int) []byte) error {
	c, release, err := in.dial(ctx)
	if err != nil {
		return err
	}
	defer release()
	for i := range next {
		if err := transact(c, env, msg(i)); err != nil {
			return fmt.Errorf("postfixtest: message %d: %w", i, err)
		}
	}
	return c.Quit()
}

// dial connects to the smtpd and says EHLO. The connection is closed
// when ctx ends, or by release.
func (in *Instance) dial(ctx context.Context) (c *smtp.Client, release func(), err error) {
	if err := in.running(); err != nil {
		return nil, nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp4", in.SMTPAddr())
	if err != nil {
		return nil, nil, fmt.Errorf("postfixtest: %w", err)
	}
	// go-smtp sets its own deadline for each command: closing is what
	// ends one in progress.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c = smtp.NewClient(conn)
	c.CommandTimeout, c.SubmissionTimeout = time.Minute, time.Minute
	release = func() {
		stop()
		c.Close()
	}
	if err := c.Hello(clientName); err != nil {
		release()
		return nil, nil, fmt.Errorf("postfixtest: EHLO: %w", err)
	}
	return c, release, nil
}

// transact runs one mail transaction (RFC 5321 §3.3): MAIL, RCPT for each
// recipient, DATA.
func transact(c *smtp.Client, env Envelope, msg []byte) error {
	mail, rcpt := env.Mail, env.Rcpt
	if err := c.Mail(env.From, &mail); err != nil {
		return err
	}
	for _, to := range env.To {
		if err := c.Rcpt(to, &rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Swaks runs swaks against the instance's smtpd ("--server" given) with
// args, and returns its transcript. It returns ErrNoSwaks when swaks is
// missing, and swaks' exit status with the transcript when it fails (as
// when Postfix refuses the message).
func (in *Instance) Swaks(ctx context.Context, args ...string) (string, error) {
	if _, err := exec.LookPath(SwaksPath); err != nil {
		return "", ErrNoSwaks
	}
	if err := in.running(); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, SwaksPath, append([]string{"--server", in.SMTPAddr(), "--helo", clientName}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("postfixtest: swaks %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), nil
}
