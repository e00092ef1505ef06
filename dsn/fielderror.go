package dsn

import "errors"

// ErrInvalidField is the sentinel every validation error of this package
// wraps: a parameter, status code or report field that breaks a rule.
// Test for it with errors.Is; the error's text names the field and the rule.
var ErrInvalidField = errors.New("dsn: invalid field")

// FieldError reports a field or parameter that breaks a rule. Field names
// it as the caller knows it ("NOTIFY", "Recipients[1].DiagnosticCode") and
// Reason says which rule failed, with its RFC section.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "dsn: Field: Reason".
func (e *FieldError) Error() string { return "dsn: " + e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidField) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidField }

func fieldError(field, reason string) error {
	return &FieldError{Field: field, Reason: reason}
}
