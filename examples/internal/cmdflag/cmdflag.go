// Package cmdflag is the command-line plumbing of the example programs,
// written once: the usage error of bad flags, parsing a flag set with -h
// and one-line errors, and the exit status (0, 2 for bad flags, 1).
package cmdflag

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// ErrUsage marks bad flags or invalid input: the programs exit with
// status 2 for it.
var ErrUsage = errors.New("cmdflag: bad usage")

// Usagef reports bad flags; the message stands alone and matches ErrUsage.
func Usagef(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// Usage marks err, an error in a flag's value, as bad usage.
func Usage(err error) error { return usageError{err} }

// usageError is an error of the flags: it matches ErrUsage and says only
// its own message.
type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// ParseArgs parses args with fs, which must take no positional argument.
// -h writes about and the flags' defaults on stdout and returns
// flag.ErrHelp; every other error matches ErrUsage and says nothing on
// any output, so that the caller reports it once, on one line.
func ParseArgs(fs *flag.FlagSet, args []string, about string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		var help strings.Builder
		help.WriteString(about)
		fs.SetOutput(&help)
		fs.PrintDefaults()
		if _, err := io.WriteString(stdout, help.String()); err != nil {
			return err
		}
		return flag.ErrHelp
	case err != nil:
		return Usagef("%v", err)
	case fs.NArg() > 0:
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// Status is the exit status err means: 0 for none or -h (flag.ErrHelp),
// 2 for bad flags (ErrUsage), 1 for any other failure.
func Status(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	return 1
}

// Main is the main of a server: it calls run with a context that SIGTERM
// or SIGINT ends (run then stops gracefully), the arguments and the
// standard output and error, and exits with the status run returns.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// ExitStatus reports err, if any but -h, on one line of stderr prefixed
// with the command's name, and returns its Status.
func ExitStatus(name string, err error, stderr io.Writer) int {
	status := Status(err)
	if status != 0 {
		fmt.Fprintln(stderr, name+": "+err.Error())
	}
	return status
}

// AuthservID is the value of an -authserv-id flag, this host's name: v,
// or the host name when v is empty. It must be a host name: RFC 8601
// §2.5, the authserv-id names the host; it is also the name given in
// EHLO (RFC 5321 §4.1.1.1) and what Received-SPF's receiver= takes as a
// dot-atom (RFC 7208 §9.1). Errors are bad usage.
func AuthservID(v string) (string, error) {
	if v == "" {
		var err error
		if v, err = os.Hostname(); err != nil {
			return "", Usagef("-authserv-id not given and no host name: %v", err)
		}
	}
	if err := smtpsyntax.CheckHostname(v); err != nil {
		return "", Usagef("-authserv-id %q: %v", v, err)
	}
	return v, nil
}
