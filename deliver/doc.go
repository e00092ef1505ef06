// Package deliver sends a composed message over SMTP: to the MX hosts of
// each recipient's domain (RFC 5321 §5.1), or to a configured next hop.
// It is the piece an MTA's glue needs to send the DSN or postmaster
// notice policy.Decide composed (SendMessage), and that an SMTP gate uses
// to relay (Send).
//
// Every failure says whether it is temporary or permanent: Send returns
// nil or Errors, one *Error per cause, each naming the recipients it
// concerns, the host, and the SMTP reply where there was one.
// errors.Is(err, ErrTemporary) holds when some recipients may be tried
// again later, errors.Is(err, ErrPermanent) when some never will be.
//
// The package does not queue or retry later, and sends in clear: it has
// no STARTTLS, AUTH or DANE/MTA-STS. A relay that needs them puts them in
// Client.Dial's connection or in the next hop.
package deliver
