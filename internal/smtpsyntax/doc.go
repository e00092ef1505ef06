// Package smtpsyntax is the one home of the SMTP syntax the dsn and policy
// packages share (RFC 5321): mailboxes, domains and address literals,
// reverse paths, and reply lines. Its checks return errors that name the
// rule broken, with its RFC section; callers add the field's name.
package smtpsyntax
