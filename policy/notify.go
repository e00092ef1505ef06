package policy

import (
	"slices"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// filterNotify splits the recipients into those a DSN reports and those
// their NOTIFY parameter excludes (RFC 3461 §4.1).
func filterNotify(rcpts []Delivery) (reported []Delivery, suppressed []Suppressed) {
	if !slices.ContainsFunc(rcpts, func(rc Delivery) bool { return suppressReason(rc) != "" }) {
		return rcpts, nil // the common case: nothing to copy
	}
	for _, rc := range rcpts {
		if why := suppressReason(rc); why != "" {
			suppressed = append(suppressed, Suppressed{Address: rc.Address, Reason: why})
			continue
		}
		reported = append(reported, rc)
	}
	return reported, suppressed
}

// suppressReason returns why NOTIFY excludes rc from a DSN, or "".
func suppressReason(rc Delivery) SuppressReason {
	n := rc.Notify
	if n == dsn.NotifyNever {
		return SuppressNever
	}
	switch rc.action() {
	case dsn.ActionFailed:
		// RFC 3461 §4.1: without NOTIFY, failures are reported.
		if n != 0 && n&dsn.NotifyFailure == 0 {
			return SuppressNoFailure
		}
	case dsn.ActionDelayed:
		// RFC 3461 §4.1: without NOTIFY the MTA may report delays; we do,
		// since a sender left waiting is the harm DSNs exist to prevent.
		if n != 0 && n&dsn.NotifyDelay == 0 {
			return SuppressNoDelay
		}
	default:
		// RFC 3461 §4.1: success (delivered, relayed, expanded)
		// only on request.
		if n&dsn.NotifySuccess == 0 {
			return SuppressNoSuccess
		}
	}
	return ""
}

// addresses returns the recipients' addresses.
func addresses(rcpts []Delivery) []string {
	out := make([]string, len(rcpts))
	for i, rc := range rcpts {
		out[i] = rc.Address
	}
	return out
}
