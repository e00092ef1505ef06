package main

import "io"

// runDecide is a placeholder until the decide subcommand lands.
func runDecide(args []string, stdin io.Reader, stdout io.Writer) error {
	return usageErrorf("decide: not implemented yet")
}
