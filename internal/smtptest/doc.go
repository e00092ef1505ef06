// Package smtptest is a loopback SMTP sink for tests: a go-smtp server on
// 127.0.0.1 that records every message it accepts (envelope, DSN
// parameters, data, time) and answers any command with the reply a test
// injects, drops the connection, or never answers at all.
//
//	sink := smtptest.NewSink(t)
//	sink.Fail(smtptest.StageRcpt, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
//	... send to sink.Addr() ...
//	msgs, err := sink.Wait(ctx, 1)
//
// The sink offers PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING,
// SIZE, SMTPUTF8 (RFC 6531) and DSN (RFC 3461); options turn the last two
// off, to test a client facing a server without them.
package smtptest
