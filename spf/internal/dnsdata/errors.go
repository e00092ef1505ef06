package dnsdata

import (
	"context"
	"net"
)

// The errors below are bare *net.DNSError values, as blitiri spf needs them
// (see the spf.Resolver contract).

// NotFound reports NXDOMAIN or "no data" for name.
func NotFound(name string) *net.DNSError {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// Temporary reports a failure that may go away on retry (SERVFAIL,
// REFUSED, an unusable answer); why says which.
func Temporary(name, why string) *net.DNSError {
	return &net.DNSError{Err: why, Name: name, IsTemporary: true}
}

// Timeout reports that no answer came in time for name.
func Timeout(name string) *net.DNSError {
	return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
}

// ContextError reports that ctx ended before an answer came: a timeout when
// its deadline passed, else a cancellation; both are temporary.
func ContextError(ctx context.Context, name string) *net.DNSError {
	if ctx.Err() == context.DeadlineExceeded {
		return Timeout(name)
	}
	return Temporary(name, "operation was canceled")
}
