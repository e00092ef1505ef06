package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// replyJSON is the output of `bouncecheck reply` (docs/design.md); keys
// without meaning for the action are omitted.
type replyJSON struct {
	Action  string         `json:"action"`
	Reason  string         `json:"reason"`
	SPF     *spfSourceJSON `json:"spf,omitempty"`
	Reply   *messageJSON   `json:"reply,omitempty"`
	RetryAt string         `json:"retry_at,omitempty"`
}

// replyEventJSON is the event file of `bouncecheck reply` (docs/design.md).
type replyEventJSON struct {
	ReturnPath    string   `json:"return_path"`
	ClientIP      string   `json:"client_ip"`
	HELO          string   `json:"helo"`
	ReceivedAt    string   `json:"received_at"`
	SPF           string   `json:"spf"`
	Authenticated bool     `json:"authenticated"`
	Addresses     []string `json:"addresses"`
	Handle        string   `json:"handle"`
	Days          int      `json:"days"`
	MailFrom      string   `json:"mail_from"`
	Subject       string   `json:"subject"`
	Text          string   `json:"text"`
	SMTPUTF8      bool     `json:"smtputf8"`
	MessageFile   string   `json:"message_file"`
	Message       *string  `json:"message"`
}

// replyStateFile is the journal -state keeps in its directory.
const replyStateFile = "replies.journal"

// replyAbout is what `bouncecheck reply -h` says it does.
const replyAbout = `Decides whether the message of the event file gets the user's auto-reply
(a vacation notice), and prints the decision as JSON: "reply", "none" or
"defer", with the reason. FILE "-" is stdin. A sender gets the reply at most
once per "days" (default 7): with -state DIR, the replies sent are kept in
DIR/` + replyStateFile + ` from one run to the next; without it, each run
starts afresh.
`

// runReply implements `bouncecheck reply -event FILE [-policy FILE]
// [-dns ADDR | -zone FILE] [-now RFC3339] [-state DIR] [-out FILE]`.
func runReply(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("reply", flag.ContinueOnError)
	eventFile := fs.String("event", "", "the message delivered to the user, JSON (- for stdin)")
	pf := newPolicyFlags(fs)
	stateDir := fs.String("state", "", "directory keeping the replies sent between runs")
	out := fs.String("out", "", "write the reply to this file; without one, remove the file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return cmdflag.Usagef("reply: unexpected argument %q", fs.Arg(0))
	case *eventFile == "":
		return cmdflag.Usagef("reply: -event FILE is required")
	case *eventFile == "-" && *pf.file == "-":
		return cmdflag.Usagef("reply: -event and -policy cannot both read stdin")
	}
	pol, err := pf.load("reply", stdin)
	if err != nil {
		return err
	}
	var ej replyEventJSON
	if err := readJSON(*eventFile, "event", stdin, &ej); err != nil {
		return err
	}
	dir := "."
	if *eventFile != "-" {
		dir = filepath.Dir(*eventFile)
	}
	ev, err := ej.toReplyEvent(dir)
	if err != nil {
		return err
	}
	if *stateDir != "" {
		store, err := policy.OpenFileStore(filepath.Join(*stateDir, replyStateFile), policy.FileStoreOptions{Now: pol.Now})
		switch {
		case errors.Is(err, os.ErrNotExist), errors.Is(err, policy.ErrStoreFile):
			return cmdflag.Usagef("reply: -state: %v", err)
		case err != nil:
			return fileError("-state", err)
		}
		defer store.Close()
		pol.Store = store
	}

	d, err := pol.DecideReply(context.Background(), ev)
	if errors.Is(err, policy.ErrInvalidEvent) {
		return invalidInput("event", err)
	}
	if err != nil {
		return err
	}
	if err := writeMessage("-out", *out, d.Reply); err != nil {
		return err
	}
	return writeJSON(stdout, replyToJSON(d))
}

// toReplyEvent checks e and converts it; message files are found
// relative to dir. Errors name the field.
func (e *replyEventJSON) toReplyEvent(dir string) (policy.ReplyEvent, error) {
	ev := policy.ReplyEvent{
		ReturnPath:    e.ReturnPath,
		HELO:          e.HELO,
		Authenticated: e.Authenticated,
		Addresses:     e.Addresses,
		Handle:        e.Handle,
		Days:          e.Days,
		MailFrom:      e.MailFrom,
		Subject:       e.Subject,
		Text:          e.Text,
		SMTPUTF8:      e.SMTPUTF8,
		// Checked by ev.Validate, in the canonical case.
		SPF: spf.Result(strings.ToLower(e.SPF)),
	}
	var err error
	if ev.ClientIP, ev.ReceivedAt, err = parseReceipt(e.ClientIP, e.ReceivedAt); err != nil {
		return ev, err
	}
	// The message is found as decide finds it.
	msg := eventJSON{Message: e.Message, MessageFile: e.MessageFile}
	if ev.Original, err = msg.original(dir); err != nil {
		return ev, err
	}
	if err := ev.Validate(); err != nil {
		return ev, invalidInput("event", err)
	}
	return ev, nil
}

func replyToJSON(d policy.ReplyDecision) replyJSON {
	out := replyJSON{Action: string(d.Action), Reason: string(d.Reason), Reply: messageToJSON(d.Reply)}
	if d.SPF.Result != "" {
		out.SPF = &spfSourceJSON{Result: string(d.SPF.Result), Source: string(d.SPFSource)}
	}
	if !d.RetryAt.IsZero() {
		out.RetryAt = d.RetryAt.UTC().Format(time.RFC3339)
	}
	return out
}
