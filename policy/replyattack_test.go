package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestReplyAddressedOnlyInsideQuotesOrComments: the user's address inside
// a quoted local part or a comment does not name the user, also when the
// rest of the list cannot be read (attack review: a list split at commas
// read them as addresses).
func TestReplyAddressedOnlyInsideQuotesOrComments(t *testing.T) {
	for _, to := range []string{
		"To: \"x,bob@hosted.example,y\"@evil.example, <broken\r\n",
		"To: evil@x (,bob@hosted.example,), <broken\r\n",
		"To: \"x,bob@hosted.example,y\"@evil.example\r\n",
		"To: evil@x (,bob@hosted.example,)\r\n",
	} {
		t.Run(strings.TrimSpace(to), func(t *testing.T) {
			ev := testReplyEvent()
			ev.Original = OriginalBytes([]byte(strings.Replace(originalMessage, "To: bob@hosted.example\r\n", to, 1)))
			d, _ := decideReply(t, ev, spf.Pass)
			assert.Equal(t, NoReply, d.Action)
			assert.Equal(t, ReplyNotAddressed, d.Reason)
		})
	}
}
