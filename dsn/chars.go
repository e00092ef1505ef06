package dsn

import "github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

// This file holds the errors for characters no field may hold; the
// classes themselves are mailsyntax's.

// checkControls refuses a character of s, valid UTF-8, that IsControl
// reports; rule names the RFC section broken.
func checkControls(field, s, rule string) error {
	for _, r := range s {
		if mailsyntax.IsControl(r) {
			return controlError(field, r, rule)
		}
	}
	return nil
}

// controlError refuses a character IsControl reports, naming it.
func controlError(field string, r rune, rule string) error {
	kind := "control character "
	if r > 0xff {
		kind = "line or paragraph separator "
	}
	return fieldError(field, kind+runeHex(r)+" not allowed ("+rule+")")
}
