// Package dnsdata holds the DNS data handling that spf/resolver and
// spf/spftest share: names in one canonical form, TXT strings joined, the
// bare *net.DNSError values a resolver returns, and zone data answered as a
// recursive server would.
package dnsdata

// MaxCNAMEHops bounds a CNAME chain, so that a loop ends in an error.
const MaxCNAMEHops = 16

// EDNSSize is the EDNS0 UDP payload size offered and accepted: 1232 bytes
// avoids IP fragmentation on common paths (DNS Flag Day 2020; RFC 9715).
const EDNSSize = 1232
