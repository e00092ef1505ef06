package main

import (
	"io"
	"os"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/strictjson"
)

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
// with strictjson.Decode. Errors, the file's own included, are usage errors
// starting with what.
func readJSON(name, what string, stdin io.Reader, v any) error {
	r, err := openInput(name, stdin)
	if err == nil {
		defer r.Close()
		err = strictjson.Decode(r, v)
	}
	if err != nil {
		return cmdflag.Usagef("%s: %v", what, err)
	}
	return nil
}
