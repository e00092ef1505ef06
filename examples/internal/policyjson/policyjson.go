// Package policyjson is the bounce policy file of the example programs
// (docs/design.md): read by bouncecheck decide and reply and by the
// -policy flag of bouncegate and bouncemilter, written once.
package policyjson

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/strictjson"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// File is the policy file (docs/design.md); every key is optional.
type File struct {
	Mode            string    `json:"mode"`
	OnSPF           onSPF     `json:"on_spf"`
	ReportingMTA    string    `json:"reporting_mta"`
	AuthservID      string    `json:"authserv_id"`
	Postmaster      string    `json:"postmaster"`
	NoticeOn        *[]string `json:"notice_on"`
	Authenticate    []string  `json:"authenticate"`
	TrustHeaders    bool      `json:"trust_recorded_headers"`
	ReturnSizeLimit int64     `json:"return_size_limit"`
	ReevaluateSPF   *bool     `json:"reevaluate_spf"`
	DeferFor        string    `json:"defer_for"`
	RetryAfter      string    `json:"retry_after"`
	Fallback        string    `json:"fallback"`
	HostileContent  string    `json:"hostile_content"`
	BounceLimit     limit     `json:"bounce_limit"`
	NoticeLimit     limit     `json:"notice_limit"`
}

// limit is a rate limit, policy.Limit: {"max": 100, "window": "1h"}.
type limit struct {
	Max    int64  `json:"max"`
	Window string `json:"window"`
}

// onSPF is the policy's on_spf: the action for each SPF result given.
type onSPF struct {
	None      *string `json:"none"`
	Neutral   *string `json:"neutral"`
	Pass      *string `json:"pass"`
	Fail      *string `json:"fail"`
	SoftFail  *string `json:"softfail"`
	TempError *string `json:"temperror"`
	PermError *string `json:"permerror"`
}

// Read decodes a policy file strictly (strictjson.Decode) and converts
// it with File.Policy. Errors start with "policy: ".
func Read(r io.Reader) (*policy.Policy, error) {
	f, err := decode(r)
	if err != nil {
		return nil, err
	}
	return f.Policy()
}

// ReadFile reads the policy file that a -policy flag names, strictly, and
// checks that it converts (File.Policy); the caller may amend it by its
// other flags before converting it. Errors are bad usage
// (cmdflag.ErrUsage) and name the flag: "-policy: " and the error of
// opening the file, or "-policy NAME: " and Read's.
func ReadFile(name string) (*File, error) {
	r, err := os.Open(name)
	if err != nil {
		return nil, cmdflag.Usagef("-policy: %v", err)
	}
	defer r.Close()
	f, err := decode(r)
	if err == nil {
		_, err = f.Policy()
	}
	if err != nil {
		return nil, cmdflag.Usagef("-policy %s: %v", name, err)
	}
	return f, nil
}

// decode decodes a policy file strictly, unchecked. Errors start with
// "policy: ".
func decode(r io.Reader) (*File, error) {
	var f File
	if err := strictjson.Decode(r, &f); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return &f, nil
}

// Policy checks p and converts it. Errors start with "policy: " and name
// the field.
func (p *File) Policy() (*policy.Policy, error) {
	pol := &policy.Policy{
		Mode:                 policy.Mode(p.Mode),
		ReportingMTA:         p.ReportingMTA,
		AuthservID:           p.AuthservID,
		Postmaster:           p.Postmaster,
		TrustRecordedHeaders: p.TrustHeaders,
		ReturnSizeLimit:      p.ReturnSizeLimit,
		OnSPF:                p.OnSPF.actions(),
		NoSPFReevaluation:    p.ReevaluateSPF != nil && !*p.ReevaluateSPF,
		Fallback:             policy.Outcome(p.Fallback),
		HostileContent:       policy.Outcome(p.HostileContent),
		BounceLimit:          policy.Limit{Max: p.BounceLimit.Max},
		NoticeLimit:          policy.Limit{Max: p.NoticeLimit.Max},
	}
	if p.NoticeOn != nil {
		pol.NoticeOn = make([]policy.Reason, len(*p.NoticeOn)) // [] means none
		for i, r := range *p.NoticeOn {
			pol.NoticeOn[i] = policy.Reason(r)
		}
	}
	for _, m := range p.Authenticate {
		pol.Authenticate = append(pol.Authenticate, policy.AuthMethod(m))
	}
	for _, d := range []struct {
		field string
		s     string
		to    *time.Duration
	}{
		{"defer_for", p.DeferFor, &pol.DeferFor}, {"retry_after", p.RetryAfter, &pol.RetryAfter},
		{"bounce_limit.window", p.BounceLimit.Window, &pol.BounceLimit.Window},
		{"notice_limit.window", p.NoticeLimit.Window, &pol.NoticeLimit.Window},
	} {
		if d.s == "" {
			continue
		}
		var err error
		if *d.to, err = time.ParseDuration(d.s); err != nil {
			return nil, fmt.Errorf("policy: %s: %q is not a duration such as \"4h\"", d.field, d.s)
		}
	}
	if err := pol.Validate(); err != nil {
		var fe *dsn.FieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("policy: %s: %s", fe.Field, fe.Rule)
		}
		return nil, fmt.Errorf("policy: %w", err)
	}
	return pol, nil
}

// actions maps the results given to their actions, for policy.Policy.OnSPF.
func (o *onSPF) actions() map[spf.Result]policy.Outcome {
	m := make(map[spf.Result]policy.Outcome)
	for _, ra := range []struct {
		result spf.Result
		action *string
	}{
		{spf.None, o.None}, {spf.Neutral, o.Neutral}, {spf.Pass, o.Pass}, {spf.Fail, o.Fail},
		{spf.SoftFail, o.SoftFail}, {spf.TempError, o.TempError}, {spf.PermError, o.PermError},
	} {
		if ra.action != nil {
			m[ra.result] = policy.Outcome(*ra.action)
		}
	}
	return m
}
