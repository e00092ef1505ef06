package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemo runs the offline story, with and without the subcommand name,
// and checks that it tells what docs/design.md says it tells.
func TestDemo(t *testing.T) {
	for _, args := range [][]string{nil, {"demo"}} {
		before, err := os.ReadDir(".")
		require.NoError(t, err)
		code, stdout, stderr := runCommand(t, "", args...)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		assert.Empty(t, stderr)
		for _, want := range []string{
			"bounce (spf-pass): SPF pass for genuine.example",
			"DSN: MAIL FROM:<> RCPT TO:<alice@genuine.example>",
			"drop (spf-softfail): SPF softfail for shop.example",
			"Postmaster notice: MAIL FROM:<> RCPT TO:<postmaster@hosted.example>",
			"drop (null-sender)",
			"reply (spf-pass): SPF pass for genuine.example",
			"Auto-reply: MAIL FROM:<> RCPT TO:<alice@genuine.example>",
			"none (already-replied)",
			"none (spf-softfail): SPF softfail for shop.example",
			"none (list)",
		} {
			assert.Contains(t, stdout, want)
		}
		assert.Equal(t, 1, strings.Count(stdout, "DSN: MAIL FROM"), "one bounce only")
		assert.Equal(t, 1, strings.Count(stdout, "Auto-reply: MAIL FROM"), "one auto-reply only")
		after, err := os.ReadDir(".")
		require.NoError(t, err)
		assert.Equal(t, before, after, "the demo writes no file")
	}
	code, _, stderr := runCommand(t, "", "demo", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "demo")
}
