package main

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// eventJSON is the event file of `bouncecheck decide` (docs/design.md).
type eventJSON struct {
	ReturnPath    string          `json:"return_path"`
	ClientIP      string          `json:"client_ip"`
	HELO          string          `json:"helo"`
	ReceivedAt    string          `json:"received_at"`
	SPF           string          `json:"spf"`
	InSession     bool            `json:"in_session"`
	Authenticated bool            `json:"authenticated"`
	Verdict       string          `json:"verdict"`
	EnvID         string          `json:"envid"`
	Ret           string          `json:"ret"`
	SMTPUTF8      bool            `json:"smtputf8"`
	MessageFile   string          `json:"message_file"`
	Message       *string         `json:"message"`
	Recipients    []recipientJSON `json:"recipients"`
}

type recipientJSON struct {
	Address        string `json:"address"`
	ORCPT          string `json:"orcpt"`
	Notify         string `json:"notify"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	Reply          string `json:"reply"`
	Diagnostic     string `json:"diagnostic"`
	RemoteMTA      string `json:"remote_mta"`
	LastAttempt    string `json:"last_attempt"`
	WillRetryUntil string `json:"will_retry_until"`
}

// toEvent checks e and converts it; message files are found relative to
// dir. Errors name the field.
func (e *eventJSON) toEvent(dir string) (policy.Event, error) {
	ev := policy.Event{
		ReturnPath:    e.ReturnPath,
		HELO:          e.HELO,
		InSession:     e.InSession,
		Authenticated: e.Authenticated,
		Verdict:       policy.ContentVerdict(e.Verdict),
		SMTPUTF8:      e.SMTPUTF8,
		// Checked by ev.Validate, in the canonical case.
		SPF: spf.Result(strings.ToLower(e.SPF)),
	}
	var err error
	if ev.ClientIP, ev.ReceivedAt, err = parseReceipt(e.ClientIP, e.ReceivedAt); err != nil {
		return ev, err
	}
	if ev.EnvID, err = dsn.ParseEnvID(e.EnvID); err != nil {
		return ev, cmdflag.Usagef("event: envid: %v", err)
	}
	if ev.Ret, err = dsn.ParseRet(e.Ret); err != nil {
		return ev, cmdflag.Usagef("event: ret: %v", err)
	}
	if ev.Original, err = e.original(dir); err != nil {
		return ev, err
	}
	for i, rj := range e.Recipients {
		rc, err := rj.toRecipient()
		if err != nil {
			return ev, cmdflag.Usagef("event: recipients[%d].%v", i, err)
		}
		ev.Recipients = append(ev.Recipients, rc)
	}
	// The rest (addresses, host names, SPF result, verdict, status against
	// action, at least one recipient) is policy.Event's own validation.
	if err := ev.Validate(); err != nil {
		return ev, invalidInput("event", err)
	}
	return ev, nil
}

func (r *recipientJSON) toRecipient() (policy.Delivery, error) {
	rc := policy.Delivery{
		Address:    r.Address,
		Action:     dsn.Action(r.Action),
		Reply:      r.Reply,
		Diagnostic: r.Diagnostic,
		RemoteMTA:  r.RemoteMTA,
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

// parseReceipt reads the client_ip and received_at of an event.
func parseReceipt(clientIP, receivedAt string) (ip netip.Addr, at time.Time, err error) {
	if clientIP != "" {
		if ip, err = netip.ParseAddr(clientIP); err != nil {
			return ip, at, cmdflag.Usagef("event: client_ip: %q is not an IP address", clientIP)
		}
		ip = ip.Unmap()
	}
	if at, err = parseDate("received_at", receivedAt); err != nil {
		return ip, at, cmdflag.Usagef("event: %v", err)
	}
	return ip, at, nil
}
