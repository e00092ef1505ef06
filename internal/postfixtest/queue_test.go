package postfixtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message caught moving from active to deferred is listed twice by
// postqueue -j (seen in CI); Queue lists it once, where it went.
func TestParseQueueMovedMessage(t *testing.T) {
	out := []byte(`{"queue_name": "active", "queue_id": "435D198626A", "sender": "alice@example.org", "recipients": []}
{"queue_name": "deferred", "queue_id": "435D198626A", "sender": "alice@example.org", "recipients": []}
{"queue_name": "deferred", "queue_id": "1B2C3D4E5F6", "sender": "", "recipients": [{"address": "a@b.example"}]}
`)
	q, err := parseQueue(out)
	require.NoError(t, err)
	require.Len(t, q, 2)
	assert.Equal(t, "deferred", q[0].QueueName)
	assert.Equal(t, "435D198626A", q[0].QueueID)
	assert.Equal(t, "1B2C3D4E5F6", q[1].QueueID)

	_, err = parseQueue([]byte("{not json\n"))
	assert.ErrorContains(t, err, "postqueue -j")
}
