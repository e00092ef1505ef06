package main

import (
	"errors"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// newResolver returns the resolver the -dns and -zone flags ask for (see
// dnsflag.New); a bad value of either is a usage error.
func newResolver(dnsAddr, zoneFile string) (spf.Resolver, error) {
	r, err := dnsflag.New(dnsAddr, zoneFile)
	if errors.Is(err, dnsflag.ErrUsage) {
		return nil, usageError{err}
	}
	return r, err
}
