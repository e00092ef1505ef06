//go:build !linux

package milterflag

import "net"

// quickAck leaves ln as it is: TCP_QUICKACK is Linux's.
func quickAck(ln net.Listener) net.Listener { return ln }
