// Package capped bounds what the example programs read from a file or
// stdin: input is hostile until checked, and an endless one must end.
package capped

import (
	"fmt"
	"io"
)

// Reader returns a reader of r that fails past n bytes with an error
// saying the input is larger than n, in MiB.
func Reader(r io.Reader, n int64) io.Reader {
	return &reader{r: r, left: n, max: n}
}

type reader struct {
	r         io.Reader
	left, max int64
}

func (c *reader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return n, fmt.Errorf("larger than %d MiB", c.max>>20)
	}
	return n, err
}
