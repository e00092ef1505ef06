// Package spf evaluates the Sender Policy Framework (RFC 7208) for the
// identities of a received message, so that a mail server can tell, long
// after receipt, whether a return path is genuine enough to bounce to.
//
// The evaluation is done by blitiri.com.ar/go/spf. This package adds what a
// bounce decision needs on top of it: a strict record syntax check (a syntax
// error anywhere in an evaluated record is a permerror, RFC 7208 §4.6), the
// exp= explanation after a fail (§6.2), the %{p} macro (§7.3), an overall
// time limit, and the Received-SPF (§9.1) and Authentication-Results
// (RFC 8601) header fields, which it both writes and reads back, so that a
// result recorded at receipt can be reused at bounce time.
//
// DNS queries go through a Resolver, an interface that *net.Resolver
// satisfies. Package spf/resolver has the resolvers built for it: one that
// asks DNS servers, one that answers from zone-file text, and a cache in
// front of either; package spf/spftest has a zone that fails on demand and
// a loopback DNS server, for tests.
package spf
