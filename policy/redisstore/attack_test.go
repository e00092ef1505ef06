package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/policy/redisstore"
)

// TestKeyInjection: keys go to Redis as RESP bulk strings, length first,
// so a key holding CRLF and RESP, or a key that is another's prefix plus
// a separator, is only itself: no command is injected and no key is
// touched but its own.
func TestKeyInjection(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	ctx := context.Background()
	s := redisstore.New(c, "bp:")
	require.NoError(t, c.Set(ctx, "victim", "1", 0).Err())
	for _, key := range []string{
		"k\r\n*2\r\n$3\r\nDEL\r\n$6\r\nvictim\r\n",
		"k\x00other",
		"k other",
	} {
		first, err := s.Claim(ctx, key, time.Hour)
		require.NoError(t, err)
		assert.True(t, first, "%q", key)
		n, err := c.Exists(ctx, "bp:"+key).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "%q stored as given", key)
	}
	first, err := s.Claim(ctx, "k", time.Hour)
	require.NoError(t, err)
	assert.True(t, first, "no other key collided with k")
	n, err := c.Exists(ctx, "victim").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "nothing injected")
}
