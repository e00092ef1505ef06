// Command bouncecheck drives bouncepolicy from the command line: it evaluates
// SPF, decides whether a failed delivery is bounced or dropped and whether
// a message gets the user's auto-reply, parses DSNs, and, with no
// arguments, runs an offline demo.
//
// Usage:
//
//	bouncecheck [demo]
//	bouncecheck spf -ip IP -helo NAME -sender ADDR [-dns HOST:PORT | -zone FILE]
//	bouncecheck decide -event FILE [-policy FILE] [-dns ADDR | -zone FILE] [-now RFC3339] [-dsn OUT] [-notice OUT]
//	bouncecheck reply -event FILE [-policy FILE] [-dns ADDR | -zone FILE] [-now RFC3339] [-state DIR] [-out FILE]
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

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name, rest := "demo", args
	if len(args) > 0 {
		name, rest = args[0], args[1:]
	}
	if isHelpFlag(name) {
		_, err := io.WriteString(stdout, usage())
		return exitStatus(err, stderr)
	}
	if c, ok := lookup(name); ok {
		return exitStatus(c.run(rest, stdin, stdout), stderr)
	}
	fmt.Fprintf(stderr, "bouncecheck: unknown command %q\n\n%s", name, usage())
	return 2
}

// exitStatus reports err on stderr and returns the exit status it means
// (cmdflag.Status): bad usage and invalid input are cmdflag.ErrUsage,
// exit status 2.
func exitStatus(err error, stderr io.Writer) int {
	status := cmdflag.Status(err)
	if status != 0 {
		// The message stands alone on stderr, so that tools can match
		// its start (such as "not a DSN: ").
		fmt.Fprintln(stderr, err)
	}
	return status
}

// invalidInput turns an error of validation into a usage error for what,
// naming the field and the rule.
func invalidInput(what string, err error) error {
	var fe *dsn.FieldError
	if errors.As(err, &fe) {
		return cmdflag.Usagef("%s: %s: %s", what, fe.Field, fe.Rule)
	}
	return cmdflag.Usagef("%s: %v", what, err)
}

// writeJSON writes v as one indented JSON object. Addresses and SMTP replies
// are full of "<" and ">": they stay readable, unescaped.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
