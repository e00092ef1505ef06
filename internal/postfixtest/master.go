//go:build linux

package postfixtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// master is a running master(8) daemon, a child of the test process.
type master struct {
	pid      int
	done     chan struct{} // closed once the process has exited and been reaped
	err      error         // how it exited; read after done
	watchdog *exec.Cmd
}

// startMaster runs master(8) in the foreground. Without -d, -w or -i it
// stays in the foreground as a session leader, so that its daemons share
// its process group. A watchdog ends that group should the test process
// die without stopping it.
func startMaster(path, confDir string) (*master, error) {
	cmd := exec.Command(path, "-c", confDir)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &master{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		m.err = cmd.Wait()
		close(m.done)
	}()
	var err error
	if m.watchdog, err = watch(m.pid); err != nil {
		_ = m.stop(stopGrace)
		return nil, err
	}
	return m, nil
}

// watch starts a shell that sends SIGTERM, as "postfix stop" does, to
// process group pgid once the test process is gone: it reads its standard
// input, a pipe only the test process writes to, whose end the kernel
// closes however the test process ends. Linux's parent-death signal would
// not do: master changes its effective uid at start, which clears it.
func watch(pgid int) (*exec.Cmd, error) {
	cmd := exec.Command("/bin/sh", "-c", `trap '' HUP INT; read -r _; kill -TERM "-$1"`, "watchdog", strconv.Itoa(pgid))
	// Out of the test's process group, which a ^C signals as a whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// exited reports whether the master has exited.
func (m *master) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// errStuck is returned when daemons outlive even SIGKILL for a while.
var errStuck = errors.New("postfixtest: Postfix daemons still running after SIGKILL")

// stop ends the master and all its daemons. SIGTERM first, as "postfix
// stop" sends, which the master passes on to its daemons; SIGKILL to the
// whole process group for whatever outlives grace.
func (m *master) stop(grace time.Duration) error {
	if m.watchdog != nil {
		// First, lest it signal a group whose id was reused.
		_ = m.watchdog.Process.Kill()
		_ = m.watchdog.Wait()
	}
	_ = syscall.Kill(m.pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for !m.exited() || groupAlive(m.pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-m.pid, syscall.SIGKILL)
			<-m.done
			return waitGroup(m.pid, grace)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// groupAlive reports whether a process of group pgid is still running:
// one that is not a zombie waiting for init to reap it.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// "pid (comm) state ppid pgrp ...", comm possibly holding ") ".
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

func waitGroup(pgid int, limit time.Duration) error {
	for deadline := time.Now().Add(limit); groupAlive(pgid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errStuck
		}
	}
	return nil
}
