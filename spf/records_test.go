package spf

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A record is parsed once while kept; a record with a syntax error is not
// kept; what is kept stays within recordCacheBytes.
func TestRecordCache(t *testing.T) {
	var c recordCache
	first, err := c.parse("v=spf1 ip4:192.0.2.0/24 -all")
	require.NoError(t, err)
	again, err := c.parse("v=spf1 ip4:192.0.2.0/24 -all")
	require.NoError(t, err)
	assert.Same(t, first, again, "parsed once")

	_, err = c.parse("v=spf1 ip4:192.0.2.0/33")
	assert.ErrorIs(t, err, ErrSyntax)
	_, kept := c.records.Load("v=spf1 ip4:192.0.2.0/33")
	assert.False(t, kept, "a record with a syntax error")

	for i := range 20000 {
		_, err := c.parse(fmt.Sprintf("v=spf1 include:n%d.example -all", i))
		require.NoError(t, err)
		require.LessOrEqual(t, c.bytes.Load(), int64(recordCacheBytes))
	}
}
