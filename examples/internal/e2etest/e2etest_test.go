package e2etest

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLog(t *testing.T) {
	var log Log
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(&log, "act=bounce n=%d\n", i)
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, log.Count("act=bounce"))
	assert.Equal(t, 10, log.Count("\n"))
}

func TestZoneFile(t *testing.T) {
	name := ZoneFile(t, "example.org. TXT \"v=spf1 -all\"\n")
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "example.org. TXT \"v=spf1 -all\"\n", string(b))
}
