// Package resolver provides the DNS resolvers an spf.Checker asks, built on
// github.com/miekg/dns: Network asks recursive servers (System reads them
// from /etc/resolv.conf), Zone answers from RFC 1035 zone text, and Cache
// keeps the answers of either, or of any spf.Resolver, for their TTLs.
//
// All of them keep the spf.Resolver contract: errors are bare
// *net.DNSError values (IsNotFound for NXDOMAIN and "no data", IsTemporary
// for SERVFAIL, REFUSED and timeouts), and results have the formats of
// *net.Resolver. Each also has LookupNetIP, so that an SPF evaluation asks
// for the addresses of the client's family only (RFC 7208 §5.3).
//
// Fault injection and serving a zone over DNS, for tests, are in
// spf/spftest.
package resolver
