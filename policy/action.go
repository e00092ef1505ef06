package policy

// Action is what becomes of a failed delivery.
type Action string

// The actions a Decision can take.
const (
	Bounce Action = "bounce" // send the DSN to the return path
	Drop   Action = "drop"   // send no DSN (a postmaster notice, when configured)
	Defer  Action = "defer"  // decide again at RetryAt
	Reject Action = "reject" // the session is open: give the SMTP reply instead
)
