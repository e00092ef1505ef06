package milterflag

import (
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickAck: a connection accepted through quickAck reads and writes
// as any other.
func TestQuickAck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln = quickAck(ln)
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Write([]byte("ping"))
		_, _ = io.Copy(io.Discard, c)
	}()
	c, err := ln.Accept()
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	_, err = c.Write([]byte("pong"))
	assert.NoError(t, err)
}
