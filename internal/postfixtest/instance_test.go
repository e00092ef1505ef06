//go:build linux

package postfixtest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stop ends the master and every daemon it started, smtpd, qmgr and
// postlogd among them; a second Stop does nothing.
func TestStopEndsEveryDaemon(t *testing.T) {
	in := Start(t, Config{})
	ctx := context.Background()
	require.NoError(t, in.Send(ctx, "alice@example.org", []string{"user@hosted.example"}, []byte("Subject: x\r\n\r\nx\r\n")))
	pgid := in.master.pid
	require.True(t, groupAlive(pgid))

	require.NoError(t, in.Stop())
	assert.False(t, groupAlive(pgid), "a daemon outlived Stop")
	require.NoError(t, in.Stop())
	assert.ErrorIs(t, in.Send(ctx, "alice@example.org", []string{"user@hosted.example"}, nil), ErrNotRunning)
	_, err := in.Swaks(ctx, "--to", "user@hosted.example")
	assert.ErrorIs(t, err, ErrNotRunning)
}

// When master does not start, the error says why: in Postfix's words
// when it logged them, else where to look.
func TestStartFailureSaysWhy(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	tests := []struct {
		name  string
		cfg   Config
		port  int
		is    error // what startNewPort retries on, or not
		wants []string
	}{
		{"port taken", Config{}, taken.Addr().(*net.TCPAddr).Port, errPortTaken, []string{"port taken: 127.0.0.1:"}},
		{"unreadable value", Config{Extra: map[string]string{"default_process_limit": "many"}}, 0, ErrStart, []string{"syslog", "main.cf"}},
	}
	bin := available(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := tempDir()
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(root) })
			in, err := newInstance(root, bin, tt.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { in.Stop() })
			if tt.port == 0 {
				err = in.startNewPort()
			} else {
				in.smtpPort = tt.port
				require.NoError(t, writeConf(filepath.Join(in.files.conf, "master.cf"), masterCF(in.cfg, tt.port)))
				err = in.Start()
			}
			require.ErrorIs(t, err, ErrStart)
			require.ErrorIs(t, err, tt.is)
			for _, w := range tt.wants {
				assert.Contains(t, err.Error(), w)
			}
			assert.ErrorIs(t, in.Flush(context.Background()), ErrNotRunning)
		})
	}
}
