package main

import "io"

// runParse is a placeholder until the parse subcommand lands.
func runParse(args []string, stdout io.Writer) error {
	return usageErrorf("parse: not implemented yet")
}
