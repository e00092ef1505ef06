// Package mailsyntax is the one home of the Internet Message Format syntax
// that the dsn, spf and policy packages share (RFC 5322): character
// classes, comments, line breaks, header fields and their folding, and
// the parts of trace fields the bounce decision reads. No package keeps a
// copy of its own, so that a message is read the same way wherever it is
// read.
//
// Line breaks: RFC 5322 §2.1 wants CRLF, but messages arrive with bare LF
// and, rarely, a lone CR. Every reader here takes CRLF, LF and a lone CR
// each as one line break, as the dsn package writes them (each becomes a
// CRLF), so that no field is seen by one reader and missed by another.
package mailsyntax
