package policy

import (
	"errors"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// rule is the rule that a check found broken, without a field name the
// check gave: the caller names the field as its user knows it.
func rule(err error) string {
	var fe *dsn.FieldError
	if errors.As(err, &fe) {
		return fe.Rule
	}
	return err.Error()
}
