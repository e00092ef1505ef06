package policy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyStoreDefault: a Policy without a Store gets one MemoryStore,
// on the Policy's clock; a Store given is used as is.
func TestPolicyStoreDefault(t *testing.T) {
	now := testNow
	p := &Policy{ReportingMTA: "mx.example.net", Now: func() time.Time { return now }}
	s := p.defaults().store
	require.IsType(t, &MemoryStore{}, s)
	assert.Same(t, s, p.defaults().store, "made once")

	ctx := context.Background()
	first, err := s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.True(t, first)
	now = now.Add(time.Minute)
	first, err = s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.True(t, first, "the store runs on Policy.Now")

	given := &MemoryStore{}
	q := &Policy{ReportingMTA: "mx.example.net", Store: given}
	assert.Same(t, given, q.defaults().store)
}
