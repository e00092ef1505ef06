package postfixtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Time limits of the instance's own start and stop.
const (
	startTimeout = 15 * time.Second
	stopGrace    = 5 * time.Second // as "postfix stop" waits
)

// Sentinel errors of the Instance methods.
var (
	ErrRunning    = errors.New("postfixtest: instance already running")
	ErrNotRunning = errors.New("postfixtest: instance not running")
	ErrStart      = errors.New("postfixtest: Postfix did not start")
)

// Instance is a running (or stopped) throwaway Postfix. Its methods are
// safe for concurrent use.
type Instance struct {
	cfg      Config
	files    layout
	bin      binaries
	smtpPort int

	mu     sync.Mutex
	master *master // nil while stopped
}

// Start starts a Postfix instance for cfg in a new temporary directory and
// stops it, and removes the directory, when the test ends. It skips the test when Available does,
// and fails it when cfg is invalid or Postfix does not start.
func Start(tb testing.TB, cfg Config) *Instance {
	tb.Helper()
	bin := available(tb)
	root, err := tempDir()
	if err != nil {
		tb.Fatal(err)
	}
	// Registered first, run last: after Stop.
	tb.Cleanup(func() {
		if err := os.RemoveAll(root); err != nil {
			tb.Error(err)
		}
	})
	in, err := newInstance(root, bin, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := in.Stop(); err != nil {
			tb.Error(err)
		}
	})
	if err := in.startNewPort(); err != nil {
		tb.Fatal(err)
	}
	return in
}

func newInstance(root string, bin binaries, cfg Config) (*Instance, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	id, err := lookupIDs()
	if err != nil {
		return nil, err
	}
	in := &Instance{cfg: cfg, files: newLayout(root), bin: bin}
	if err := in.files.create(id); err != nil {
		return nil, fmt.Errorf("postfixtest: %w", err)
	}
	main := mainCF(cfg, in.files)
	if err := writeConf(filepath.Join(in.files.conf, "main.cf"), main); err != nil {
		return nil, err
	}
	return in, nil
}

// startNewPort starts the master on a free port. The port is free when
// picked and may be taken before master binds it: then another is tried.
func (in *Instance) startNewPort() error {
	var err error
	for range 3 {
		in.smtpPort, err = freePort()
		if err != nil {
			return err
		}
		if err = writeConf(filepath.Join(in.files.conf, "master.cf"), masterCF(in.cfg, in.smtpPort)); err != nil {
			return err
		}
		if err = in.Start(); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

// writeConf writes a configuration file dated a minute back: Postfix
// (load_file(3)) pauses and reads a file again while it changed recently,
// as one being edited may; that took seconds at each start.
func writeConf(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, past, past); err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	return nil
}

// tempDir makes the instance's directory. Not in tb.TempDir(): its name
// holds the test's, which may have '$', ',', '=', braces or spaces, that
// main.cf would expand or split.
func tempDir() (string, error) {
	root, err := os.MkdirTemp("", "postfixtest-")
	if err != nil {
		return "", fmt.Errorf("postfixtest: %w", err)
	}
	if !safePath.MatchString(root) {
		os.Remove(root)
		return "", fmt.Errorf("postfixtest: temporary directory %q: want letters, digits, '/', '.', '_' and '-' only, which main.cf takes as written; set TMPDIR", root)
	}
	return root, nil
}

var safePath = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// errPortTaken is the reason master did not start when its port was
// taken, which it does not log.
var errPortTaken = errors.New("port taken")

// portTaken reports whether another process listens on the port.
func portTaken(port int) bool {
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	ln.Close()
	return false
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postfixtest: no free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the instance again after Stop, on the same port, with its
// queue as Stop left it. It returns ErrRunning when running, and an error
// wrapping ErrStart, with Postfix's complaint, when it does not start.
func (in *Instance) Start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.master != nil {
		return ErrRunning
	}
	logStart := fileSize(in.files.log)
	m, err := startMaster(in.bin.master, in.files.conf)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	if err := in.waitStarted(m, logStart); err != nil {
		_ = m.stop(stopGrace)
		return err
	}
	in.master = m
	return nil
}

// waitStarted waits for master's "daemon started" line, which it logs
// once its listening sockets are open.
func (in *Instance) waitStarted(m *master, logStart int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		log := in.logFrom(logStart)
		if strings.Contains(log, "postfix/master[") && strings.Contains(log, "daemon started") {
			return nil
		}
		if m.exited() || ctx.Err() != nil {
			return in.startError(m, log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startError says why master did not start: Postfix's fatal lines when
// it logged them. Before its log is set up master writes to syslog only:
// then a taken port is checked for, else main.cf is blamed.
func (in *Instance) startError(m *master, log string) error {
	switch {
	case log != "":
		return fmt.Errorf("%w (master: %v): %s", ErrStart, m.err, fatalLines(log))
	case portTaken(in.smtpPort):
		return fmt.Errorf("%w (master: %v): %w: %s", ErrStart, m.err, errPortTaken, in.SMTPAddr())
	}
	return fmt.Errorf("%w (master: %v): nothing logged: master complains about a main.cf value it cannot read to syslog only; see %s",
		ErrStart, m.err, filepath.Join(in.files.conf, "main.cf"))
}

// Stop stops the instance and every daemon of it, as "postfix stop"
// does, killing those that outlive 5 s. Mail in the queue stays there for
// Start. Stopping a stopped instance does nothing.
func (in *Instance) Stop() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.master == nil {
		return nil
	}
	err := in.master.stop(stopGrace)
	in.master = nil
	return err
}

// running returns ErrNotRunning when the instance is stopped.
func (in *Instance) running() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.master == nil {
		return ErrNotRunning
	}
	return nil
}

// SMTPAddr is the address of the instance's smtpd, 127.0.0.1:PORT.
func (in *Instance) SMTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in.smtpPort))
}

// Hostname is the instance's myhostname.
func (in *Instance) Hostname() string { return in.cfg.MyHostname }

// Dir is the instance's directory: etc/ holds main.cf and master.cf,
// spool/ the queue, maillog the log.
func (in *Instance) Dir() string { return in.files.root }

// Log returns the instance's mail log so far.
func (in *Instance) Log() string { return in.logFrom(0) }

// Mailbox returns what was delivered to the local user so far, in mbox
// format ("From " lines between messages); "" when nothing was.
func (in *Instance) Mailbox(user string) string {
	b, _ := os.ReadFile(in.files.mailbox(user))
	return string(b)
}

func (in *Instance) logFrom(off int64) string {
	b, _ := os.ReadFile(in.files.log)
	if off > int64(len(b)) {
		return ""
	}
	return string(b[off:])
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// fatalLines picks Postfix's fatal and panic lines from log, or the whole
// log when it has none.
func fatalLines(log string) string {
	var lines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, " fatal: ") || strings.Contains(l, " panic: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return strings.TrimSpace(log)
	}
	return strings.Join(lines, "\n")
}
