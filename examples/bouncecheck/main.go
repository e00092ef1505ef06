// Command bouncecheck drives bouncepolicy from the command line: it evaluates
// SPF, decides whether a failed delivery is bounced or dropped, parses DSNs,
// and, with no arguments, runs an offline demo.
//
// Usage:
//
//	bouncecheck [demo]
//	bouncecheck spf -ip IP -helo NAME -sender ADDR [-dns HOST:PORT | -zone FILE]
//	bouncecheck decide -event FILE [-policy FILE] [-dns ADDR | -zone FILE] [-now RFC3339] [-dsn OUT] [-notice OUT]
//	bouncecheck parse FILE
//
// Output is one JSON object on stdout. The exit status is 0 on success
// whatever the decision, 2 for bad usage or invalid input (with a message on
// stderr naming the field), and 1 for other failures.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd, rest := "demo", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "demo":
		err = runDemo(rest, stdout)
	case "spf":
		err = runSPF(rest, stdout)
	case "decide":
		err = runDecide(rest, stdin, stdout)
	case "parse":
		err = runParse(rest, stdout)
	default:
		err = usageErrorf("unknown command %q (want demo, spf, decide or parse)", cmd)
	}
	if err == nil {
		return 0
	}
	// The message stands alone on stderr, so that tools can match its
	// start (such as "not a DSN: ").
	fmt.Fprintln(stderr, err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// usageError marks bad usage or invalid input: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// writeJSON writes v as one indented JSON object. Addresses and SMTP replies
// are full of "<" and ">": they stay readable, unescaped.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
