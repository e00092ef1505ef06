// Package spftest helps test code that checks SPF, or that asks DNS through
// an spf.Resolver: a Zone answers from zone text and fails on demand, as a
// broken server would, and Serve serves it, or any dns.Handler, on a
// loopback port for a resolver.Network (or any DNS client) to ask.
//
//	z, err := spftest.NewZone(strings.NewReader(`example.org. TXT "v=spf1 -all"`), ".")
//	...
//	z.Inject("example.org", spftest.Timeout)
//	checker := &spf.Checker{Resolver: z}
//	network := &resolver.Network{Servers: []string{spftest.Serve(t, z)}}
package spftest
