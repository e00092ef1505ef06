package postfixtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// PostfixPath is where Debian's postfix package puts the postfix command;
// Available looks there.
const PostfixPath = "/usr/sbin/postfix"

// binaries are the Postfix programs an instance runs.
type binaries struct {
	master    string // master(8), in daemon_directory
	postqueue string // postqueue(1), in command_directory
}

// Available skips tb, saying why, unless a Postfix instance can be started
// here: Linux, the postfix package installed, and root to run its master
// (the daemons drop to the postfix user). Start calls it.
func Available(tb testing.TB) {
	tb.Helper()
	available(tb)
}

// available is Available, returning the programs found.
func available(tb testing.TB) binaries {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skipf("postfixtest: Postfix instances are started on Linux only, not %s", runtime.GOOS)
	}
	if _, err := os.Stat(PostfixPath); err != nil {
		tb.Skipf("postfixtest: Postfix not installed (%v); apt-get install postfix (CI's .ci/run does)", err)
	}
	if os.Geteuid() != 0 {
		tb.Skip("postfixtest: starting Postfix needs root: its master runs as root and its daemons drop to the postfix user")
	}
	// postconf -d reads no main.cf: there may be none.
	out, err := exec.Command(filepath.Join(filepath.Dir(PostfixPath), "postconf"), "-dh", "daemon_directory", "command_directory").Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 {
		tb.Skipf("postfixtest: postconf -d failed (%v): %q", err, out)
	}
	b := binaries{
		master:    filepath.Join(lines[0], "master"),
		postqueue: filepath.Join(lines[1], "postqueue"),
	}
	for _, p := range []string{b.master, b.postqueue} {
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("postfixtest: Postfix installation incomplete: %v", err)
		}
	}
	return b
}
