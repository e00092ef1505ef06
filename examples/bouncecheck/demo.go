package main

import "io"

// runDemo is a placeholder until the demo subcommand lands.
func runDemo(args []string, stdout io.Writer) error {
	return usageErrorf("demo: not implemented yet")
}
