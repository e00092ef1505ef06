package resolver

import (
	"container/list"
	"net"
	"unsafe"
)

// The sizes of what a kept answer holds besides its octets. unsafe.Sizeof
// is a constant of the platform: nothing unsafe is done.
const (
	stringSize   = int(unsafe.Sizeof(""))
	pointerSize  = int(unsafe.Sizeof(&net.MX{}))
	mxSize       = int(unsafe.Sizeof(net.MX{}))
	ipAddrSize   = int(unsafe.Sizeof(net.IPAddr{}))
	dnsErrorSize = int(unsafe.Sizeof(net.DNSError{}))
	// entrySize is what every kept answer costs: its cacheEntry, its list
	// element and its slot in the map (key and element pointer).
	entrySize = int(unsafe.Sizeof(cacheEntry{}) + unsafe.Sizeof(list.Element{}) +
		unsafe.Sizeof(lookupQuery{}) + unsafe.Sizeof(&list.Element{}))
)

// footprint approximates the bytes that keeping e holds on to: its
// bookkeeping, the name, the slices at their capacity and what they point
// to. An address counts 16 octets, as net.IPv4 allocates that many for a
// 4-octet one. Allocator rounding and the map's spare room are left out:
// the bound is to follow what a hostile zone controls, the answer's size.
func (e *cacheEntry) footprint() int {
	n := entrySize + len(e.q.name) + stringsFootprint(e.a.txt) + stringsFootprint(e.a.names)
	n += cap(e.a.mx) * pointerSize
	for _, mx := range e.a.mx {
		n += mxSize + len(mx.Host)
	}
	n += cap(e.a.ips) * ipAddrSize
	for _, ip := range e.a.ips {
		n += max(len(ip.IP), net.IPv6len) + len(ip.Zone)
	}
	if e.err != nil {
		n += dnsErrorSize + len(e.err.Err) + len(e.err.Name) + len(e.err.Server)
	}
	return n
}

// stringsFootprint is the size of a slice of strings, at its capacity, and
// of the strings' octets.
func stringsFootprint(ss []string) int {
	n := cap(ss) * stringSize
	for _, s := range ss {
		n += len(s)
	}
	return n
}
