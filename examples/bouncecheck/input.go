package main

import (
	"io"
	"os"
)

// maxInputSize bounds an input held in memory whole (an event, a policy, a
// zone): an inline message of tens of megabytes fits, and an endless input
// (/dev/zero, a pipe) fails instead of filling memory.
const maxInputSize = 64 << 20

// openInput opens an input file named on the command line; "-" is stdin.
// A file that cannot be opened or read is invalid input (exit 2), like bad
// content: the caller says so.
func openInput(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	return os.Open(name)
}

// readJSON decodes the JSON object in the file name ("-": stdin) into v
// with decodeStrict. Errors, the file's own included, are usage errors
// starting with what.
func readJSON(name, what string, stdin io.Reader, v any) error {
	r, err := openInput(name, stdin)
	if err == nil {
		defer r.Close()
		err = decodeStrict(r, v)
	}
	if err != nil {
		return usageErrorf("%s: %v", what, err)
	}
	return nil
}
