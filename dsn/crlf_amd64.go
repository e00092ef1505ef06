//go:build !purego

package dsn

import "golang.org/x/sys/cpu"

// crlfLinesAVX2 is crlf_amd64.s: a vector check of the lines of q[1:].
//
//go:noescape
func crlfLinesAVX2(q []byte) bool

// linesProven reports whether a vector check proves that every line of
// q[1:] ends in CRLF, holds no bare CR and fits in 998 bytes; q[0] is the
// LF before the first of them, and q ends in LF. False means not proven:
// the caller searches line by line. The check runs at several times the
// speed of one IndexByte per line, which is what makes returning a large
// original cost little more than copying it.
func linesProven(q []byte) bool {
	return cpu.X86.HasAVX2 && len(q) > 64 && crlfLinesAVX2(q)
}
