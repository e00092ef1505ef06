package main

import "io"

// runSPF is a placeholder until the spf subcommand lands.
func runSPF(args []string, stdout io.Writer) error {
	return usageErrorf("spf: not implemented yet")
}
