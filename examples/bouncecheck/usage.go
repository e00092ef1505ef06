package main

import (
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
)

// command is a subcommand: its usage line after "bouncecheck ", starting
// with its name, what -h says it does, and how it runs.
type command struct {
	synopsis, about string
	run             func(args []string, stdin io.Reader, stdout io.Writer) error
}

// commands lists the subcommands in the order usage shows them.
func commands() []command {
	return []command{
		{"demo", demoAbout, runDemo},
		{"spf -ip IP -helo NAME -sender ADDR [-dns HOST:PORT | -zone FILE] [-receiver NAME]", spfAbout, runSPF},
		{"decide -event FILE [-policy FILE] [-dns ADDR | -zone FILE] [-now RFC3339] [-dsn OUT] [-notice OUT]", decideAbout, runDecide},
		{"reply -event FILE [-policy FILE] [-dns ADDR | -zone FILE] [-now RFC3339] [-state DIR] [-out FILE]", replyAbout, runReply},
		{"parse FILE", parseAbout, runParse},
	}
}

// lookup finds the subcommand called name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if first, _, _ := strings.Cut(c.synopsis, " "); first == name {
			return c, true
		}
	}
	return command{}, false
}

// usage is the help of bouncecheck itself.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: bouncecheck [COMMAND [ARGS]]\n\nCommands (demo when none is given):\n")
	for _, c := range commands() {
		b.WriteString("  bouncecheck " + c.synopsis + "\n")
	}
	b.WriteString("\nRun \"bouncecheck COMMAND -h\" for a command's help. Output is one JSON object\n" +
		"on stdout (demo: words). Exit status: 0 on success whatever the decision, 2 for\n" +
		"bad usage or invalid input, 1 for other failures.\n")
	return b.String()
}

// isHelpFlag tells the spellings of help that flag.FlagSet knows too.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// parseFlags parses a subcommand's arguments into fs, named after it. Help
// (-h, -help, --help) is printed on stdout and returned as flag.ErrHelp,
// which run takes for success.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	// Errors are reported once, by run, not by fs.
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return printHelp(fs, stdout)
	case err != nil:
		return cmdflag.Usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// printHelp writes the help of fs's subcommand: usage line, what it does,
// and its flags.
func printHelp(fs *flag.FlagSet, stdout io.Writer) error {
	var help, flags strings.Builder
	c, _ := lookup(fs.Name())
	help.WriteString("usage: bouncecheck " + c.synopsis + "\n\n" + c.about)
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	if flags.Len() > 0 {
		help.WriteString("\nFlags:\n" + flags.String())
	}
	if _, err := io.WriteString(stdout, help.String()); err != nil {
		return err
	}
	return flag.ErrHelp
}
