package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// eventJSON is the event file of `bouncecheck decide` (DESIGN.md).
type eventJSON struct {
	ReturnPath    string  `json:"return_path"`
	ClientIP      string  `json:"client_ip"`
	HELO          string  `json:"helo"`
	ReceivedAt    string  `json:"received_at"`
	SPF           string  `json:"spf"`
	InSession     bool    `json:"in_session"`
	Authenticated bool    `json:"authenticated"`
	Verdict       string  `json:"verdict"`
	EnvID         string  `json:"envid"`
	Ret           string  `json:"ret"`
	SMTPUTF8      bool    `json:"smtputf8"`
	MessageFile   string  `json:"message_file"`
	Message       *string `json:"message"`
	// Recipients are decoded one by one, so that errors give the index.
	Recipients []json.RawMessage `json:"recipients"`
}

type recipientJSON struct {
	Address        string `json:"address"`
	ORCPT          string `json:"orcpt"`
	Notify         string `json:"notify"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	Reply          string `json:"reply"`
	RemoteMTA      string `json:"remote_mta"`
	LastAttempt    string `json:"last_attempt"`
	WillRetryUntil string `json:"will_retry_until"`
}

// policyJSON is the policy file of `bouncecheck decide` (DESIGN.md); every
// key is optional.
type policyJSON struct {
	Mode            string            `json:"mode"`
	OnSPF           map[string]string `json:"on_spf"`
	ReportingMTA    string            `json:"reporting_mta"`
	AuthservID      string            `json:"authserv_id"`
	Postmaster      string            `json:"postmaster"`
	ReturnSizeLimit int64             `json:"return_size_limit"`
	ReevaluateSPF   *bool             `json:"reevaluate_spf"`
	DeferFor        string            `json:"defer_for"`
	RetryAfter      string            `json:"retry_after"`
	Fallback        string            `json:"fallback"`
	HostileContent  string            `json:"hostile_content"`
}

// readJSON decodes one JSON object from the file at name ("-": stdin)
// into v, strictly: an unknown key is an error. what names the file in
// errors; a file that cannot be read is a plain error, bad content a usage
// error.
func readJSON(name, what string, stdin io.Reader, v any) error {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	return decodeStrict(r, what, "", v)
}

// decodeStrict decodes one JSON value from r into v, an unknown key being
// an error. Errors are usage errors naming what and the field, prefixed
// with path ("recipients[0].").
func decodeStrict(r io.Reader, what, path string, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return usageErrorf("%s: %s%s: want a JSON %s, not %s", what, path, typeErr.Field, typeErr.Type, typeErr.Value)
		}
		if path != "" {
			return usageErrorf("%s: %s: %v", what, strings.TrimSuffix(path, "."), err)
		}
		return usageErrorf("%s: %v", what, err)
	}
	if dec.More() {
		return usageErrorf("%s: more than one JSON value", what)
	}
	return nil
}

// invalidInput turns an error of policy's validation, wrapping sentinel,
// into a usage error for what, without the sentinel's text.
func invalidInput(what string, err, sentinel error) error {
	return usageErrorf("%s: %s", what, strings.TrimPrefix(err.Error(), sentinel.Error()+": "))
}

// toEvent checks e and converts it; message files are found relative to
// dir. Errors name the field.
func (e *eventJSON) toEvent(dir string) (policy.Event, error) {
	ev := policy.Event{
		ReturnPath:    e.ReturnPath,
		HELO:          e.HELO,
		InSession:     e.InSession,
		Authenticated: e.Authenticated,
		Content:       policy.Content(e.Verdict),
		SMTPUTF8:      e.SMTPUTF8,
		// Checked by ev.Validate, in the canonical case.
		SPF: spf.Result(strings.ToLower(e.SPF)),
	}
	var err error
	if e.ClientIP != "" {
		if ev.ClientIP, err = netip.ParseAddr(e.ClientIP); err != nil {
			return ev, usageErrorf("event: client_ip: %q is not an IP address", e.ClientIP)
		}
		ev.ClientIP = ev.ClientIP.Unmap()
	}
	if ev.ReceivedAt, err = parseDate("received_at", e.ReceivedAt); err != nil {
		return ev, usageErrorf("event: %v", err)
	}
	if ev.EnvID, err = dsn.ParseEnvID(e.EnvID); err != nil {
		return ev, usageErrorf("event: envid: %v", err)
	}
	if ev.Ret, err = dsn.ParseRet(e.Ret); err != nil {
		return ev, usageErrorf("event: ret: %v", err)
	}
	if ev.Original, err = e.original(dir); err != nil {
		return ev, err
	}
	for i, raw := range e.Recipients {
		var rj recipientJSON
		path := fmt.Sprintf("recipients[%d].", i)
		if err := decodeStrict(bytes.NewReader(raw), "event", path, &rj); err != nil {
			return ev, err
		}
		rc, err := rj.toRecipient()
		if err != nil {
			return ev, usageErrorf("event: %s%v", path, err)
		}
		ev.Recipients = append(ev.Recipients, rc)
	}
	// The rest (addresses, host names, SPF result, verdict, status against
	// action, at least one recipient) is policy.Event's own validation.
	if err := ev.Validate(); err != nil {
		return ev, invalidInput("event", err, policy.ErrInvalidEvent)
	}
	return ev, nil
}

// original opens the message inline or in message_file, inside dir: a
// path leading out of it, even by a symbolic link, is invalid input. A
// missing file is a plain error (exit 1), found before deciding.
func (e *eventJSON) original(dir string) (func() (io.ReadCloser, error), error) {
	switch {
	case e.Message != nil && e.MessageFile != "":
		return nil, usageErrorf("event: message and message_file: give one, not both")
	case e.Message != nil:
		return policy.OriginalBytes([]byte(*e.Message)), nil
	case e.MessageFile == "":
		return nil, nil
	case !filepath.IsLocal(e.MessageFile):
		return nil, usageErrorf("event: message_file: %q is not inside the event file's directory", e.MessageFile)
	}
	open := func() (io.ReadCloser, error) { return os.OpenInRoot(dir, e.MessageFile) }
	f, err := open()
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("event: message_file: %w", err)
	case err != nil:
		return nil, usageErrorf("event: message_file: %v", err)
	}
	f.Close()
	return open, nil
}

func (r *recipientJSON) toRecipient() (policy.Recipient, error) {
	rc := policy.Recipient{
		Address:   r.Address,
		Action:    dsn.Action(r.Action),
		Reply:     r.Reply,
		RemoteMTA: r.RemoteMTA,
	}
	var err error
	if rc.ORCPT, err = dsn.ParseORCPT(r.ORCPT); err != nil {
		return rc, fmt.Errorf("orcpt: %v", err)
	}
	if rc.Notify, err = dsn.ParseNotify(r.Notify); err != nil {
		return rc, fmt.Errorf("notify: %v", err)
	}
	if r.Status != "" {
		if rc.Status, err = dsn.ParseStatus(r.Status); err != nil {
			return rc, fmt.Errorf("status: %v", err)
		}
	}
	if rc.LastAttempt, err = parseDate("last_attempt", r.LastAttempt); err != nil {
		return rc, err
	}
	if rc.WillRetryUntil, err = parseDate("will_retry_until", r.WillRetryUntil); err != nil {
		return rc, err
	}
	return rc, nil
}

// parseDate parses an RFC 3339 date; empty gives the zero time.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%s: %q is not an RFC 3339 date", field, s)
	}
	return t, nil
}

// toPolicy checks p and converts it. Errors name the field.
func (p *policyJSON) toPolicy() (*policy.Policy, error) {
	pol := &policy.Policy{
		Mode:            policy.Mode(p.Mode),
		ReportingMTA:    p.ReportingMTA,
		AuthservID:      p.AuthservID,
		Postmaster:      p.Postmaster,
		ReturnSizeLimit: p.ReturnSizeLimit,
		NoSPFEvaluation: p.ReevaluateSPF != nil && !*p.ReevaluateSPF,
		Fallback:        policy.Action(p.Fallback),
		HostileContent:  policy.Action(p.HostileContent),
	}
	if len(p.OnSPF) > 0 {
		pol.OnSPF = make(map[spf.Result]policy.Action, len(p.OnSPF))
		for k, v := range p.OnSPF {
			pol.OnSPF[spf.Result(k)] = policy.Action(v)
		}
	}
	for _, d := range []struct {
		field string
		s     string
		to    *time.Duration
	}{{"defer_for", p.DeferFor, &pol.DeferFor}, {"retry_after", p.RetryAfter, &pol.RetryAfter}} {
		if d.s == "" {
			continue
		}
		var err error
		if *d.to, err = time.ParseDuration(d.s); err != nil {
			return nil, usageErrorf("policy: %s: %q is not a duration such as \"4h\"", d.field, d.s)
		}
	}
	if err := pol.Validate(); err != nil {
		return nil, invalidInput("policy", err, policy.ErrInvalidPolicy)
	}
	return pol, nil
}
