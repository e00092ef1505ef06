package policy

// Outcome is what becomes of a failed delivery.
type Outcome string

// The outcomes, which Decision.Action holds (the "action" of the
// bouncecheck JSON).
const (
	Bounce Outcome = "bounce" // send the DSN to the return path
	Drop   Outcome = "drop"   // send no DSN (a postmaster notice, when configured)
	Defer  Outcome = "defer"  // decide again at RetryAt
	Reject Outcome = "reject" // the session is open: give the SMTP reply instead
)
