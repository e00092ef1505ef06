package dsn

import (
	"errors"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// ErrInvalidField is the sentinel every validation error of this package
// wraps: a parameter, status code or report field that breaks a rule.
// Test for it with errors.Is; the error's text names the field and the rule.
var ErrInvalidField = errors.New("dsn: invalid field")

// FieldError reports a field or parameter that breaks a rule: the one
// error type of this module's validation, so that callers read the field
// and the rule with errors.As, never from the text. Field names it as the
// caller knows it ("NOTIFY", "Recipients[1].DiagnosticCode", or in the
// policy package "recipients[0].address"), Rule says which rule failed,
// with its RFC section, and Err is the sentinel it wraps: ErrInvalidField
// when nil, or the policy package's ErrInvalidEvent and ErrInvalidPolicy.
type FieldError struct {
	Err   error
	Field string
	Rule  string
}

// Error returns "sentinel: Field: Rule", such as "dsn: invalid field: To:
// no @domain (RFC 5321 §4.1.2)".
func (e *FieldError) Error() string { return e.Unwrap().Error() + ": " + e.Field + ": " + e.Rule }

// Unwrap returns the sentinel, so that errors.Is(err, ErrInvalidField)
// holds, or the one given.
func (e *FieldError) Unwrap() error {
	if e.Err == nil {
		return ErrInvalidField
	}
	return e.Err
}

func fieldError(field, rule string) error {
	return &FieldError{Field: field, Rule: rule}
}

// inRule makes an error of the internal checks, which name only the rule,
// a FieldError for field.
func inRule(field string, err error) error {
	if err == nil {
		return nil
	}
	return fieldError(field, err.Error())
}

// checkControls refuses a character of s, valid UTF-8, that
// mailsyntax.IsControl reports; rule names the RFC section broken.
func checkControls(field, s, rule string) error {
	return inRule(field, mailsyntax.CheckControls(s, rule))
}

// controlError refuses r, a character mailsyntax.IsControl reports.
func controlError(field string, r rune, rule string) error {
	return inRule(field, mailsyntax.ControlError(r, rule))
}
