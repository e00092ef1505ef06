//go:build linux

package milterflag

import (
	"net"

	"golang.org/x/sys/unix"
)

// quickAck wraps ln so that each connection acknowledges at once what it
// reads (TCP_QUICKACK, tcp(7)), rather than after the kernel's delayed
// ACK. Postfix's smtpd writes some milter commands as two packets before
// it reads the reply; with Nagle's algorithm on its side, the second
// waits for the ACK of the first, some 40 ms a message. Linux resets the
// option as it pleases, so it is set again after every read.
func quickAck(ln net.Listener) net.Listener { return quickAckListener{ln} }

type quickAckListener struct{ net.Listener }

func (l quickAckListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		if rc, err := tc.SyscallConn(); err == nil {
			return &quickAckConn{TCPConn: tc, raw: rc}, nil
		}
	}
	return c, err
}

type quickAckConn struct {
	*net.TCPConn
	raw interface {
		Control(func(fd uintptr)) error
	}
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	_ = c.raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
	return n, err
}
