package policy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// TestDecideReturnsWhatItScanned: the header the rules read, folded trace
// fields unfolded, is returned as it came, from the very bytes the scan
// held: the original is read once.
func TestDecideReturnsWhatItScanned(t *testing.T) {
	msg := "Received-SPF: pass (mx.hosted.example: domain of alice@example.org\r\n" +
		"\tdesignates 192.0.2.10 as permitted sender) receiver=mx.hosted.example;\r\n" +
		"\tclient-ip=192.0.2.10; envelope-from=alice@example.org; identity=mailfrom\r\n" +
		"Received: from mail.example.org ([192.0.2.10])\r\n" +
		"\tby mx.hosted.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n" + originalMessage
	opens := 0
	ev := fullEvent([]byte(msg), &opens)
	ev.SPF = ""
	p := testPolicy(nil)
	p.TrustRecordedHeaders = true
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, ReasonSPFPass, d.Reason, d.String())
	assert.Equal(t, SourceRecorded, d.SPFSource, "read from the folded field")
	require.NotNil(t, d.DSN)
	assert.Equal(t, dsn.ReturnFull, d.DSN.Returned)
	assert.Contains(t, string(d.DSN.Data), "\r\n\r\n"+msg)
	assert.Equal(t, 1, opens)
}
