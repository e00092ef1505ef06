// Package postfixtest starts throwaway Postfix instances for end-to-end
// tests of the milters and the SMTP gate.
//
// Each instance lives in a temporary directory of its own: its main.cf and
// master.cf, queue and data directories, mailboxes and log file (Postfix's
// own, through postlogd). Its master daemon runs in the foreground as a
// child of the test, listens on a random loopback port only, and is stopped,
// its directory removed, when the test ends; a watchdog stops it should the
// test process die first. Nothing is written outside the temporary
// directory: /etc/postfix is not touched, and no system Postfix is
// configured or started. An instance starts in about 0.1 s.
//
// The instance plays the part of a receiving host such as a qmail one: it
// accepts mail for any user at its local domains and bounces, after
// acceptance, what is addressed to an unknown user (local(8): "unknown
// user", status 5.1.1). The users named in Config.Users are delivered to
// mailbox files. All other mail, the delivery status notifications it writes
// included, goes to one loopback SMTP server, the sink standing in for the
// senders' MX hosts. DNS is off: Postfix needs none, and the milters under
// test use their own resolver.
//
// Starting an instance needs root (the daemons drop to the postfix user)
// and the Postfix package; Start skips the test, saying why, when either is
// missing.
package postfixtest
