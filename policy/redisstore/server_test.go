package redisstore_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

const redisServer = "/usr/bin/redis-server"

// server is a throwaway redis-server on loopback.
type server struct {
	tb   testing.TB
	addr string
	dir  string
	cmd  *exec.Cmd
}

// startServer starts a redis-server on a free loopback port, in a
// temporary directory, saving nothing, and stops it when the test ends.
func startServer(tb testing.TB) *server {
	tb.Helper()
	if _, err := os.Stat(redisServer); err != nil {
		tb.Skipf("%s is absent (%v): the Redis store tests need a real server; .ci/run installs it", redisServer, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := l.Addr().String()
	l.Close() // the port stays free for the server: a race other tests lose rarely
	s := &server{tb: tb, addr: addr, dir: tb.TempDir()}
	s.start()
	tb.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.tb.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command(redisServer,
		"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--daemonize", "no", "--loglevel", "warning")
	log, err := os.Create(filepath.Join(s.dir, "redis.log"))
	require.NoError(s.tb, err)
	defer log.Close()
	s.cmd.Stdout, s.cmd.Stderr = log, log
	require.NoError(s.tb, s.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.stop()
			s.tb.Fatalf("redis-server on %s does not answer PING: %v", s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits for it; stopping twice is harmless.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT) // a paused server dies too
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// pause stops the server from answering, its port still open.
func (s *server) pause() { require.NoError(s.tb, s.cmd.Process.Signal(syscall.SIGSTOP)) }

// resume undoes pause.
func (s *server) resume() { require.NoError(s.tb, s.cmd.Process.Signal(syscall.SIGCONT)) }

// client returns a client of the server whose calls ctx bounds.
func (s *server) client() *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: s.addr, ContextTimeoutEnabled: true,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, // so that only ctx can end a call early
		MaxRetries: -1,
	})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

var prefixes int

// prefix returns a fresh key prefix.
func prefix() string {
	prefixes++
	return "test" + strconv.Itoa(prefixes) + ":"
}
