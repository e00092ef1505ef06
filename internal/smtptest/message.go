package smtptest

import (
	"time"

	"github.com/emersion/go-smtp"
)

// A Message is one message the sink accepted: the envelope as the client
// sent it, with its ESMTP parameters decoded, and the data with the
// dot-stuffing undone and the final dot removed.
type Message struct {
	// Hello is the client's EHLO or HELO name.
	Hello string
	// From is the reverse path, "" for the null path <>.
	From string
	// MailOptions are the MAIL parameters: BODY, SIZE, SMTPUTF8, and
	// RET and ENVID (xtext-decoded) when DSN is offered.
	MailOptions smtp.MailOptions
	// To are the accepted recipients in the order given; refused ones
	// are not here.
	To []Recipient
	// Data is the message as received. Callers must not modify it.
	Data []byte
	// Received is when the final dot arrived.
	Received time.Time
}

// A Recipient is one accepted RCPT TO.
type Recipient struct {
	// Addr is the forward path without angle brackets.
	Addr string
	// Options are the RCPT parameters: NOTIFY and ORCPT (decoded).
	Options smtp.RcptOptions
}
