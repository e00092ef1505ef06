//go:build !linux

package postfixtest

import (
	"errors"
	"time"
)

// master stands in for the Linux one: Available skips tests elsewhere.
type master struct {
	err error
}

func startMaster(string, string) (*master, error) { return nil, errors.ErrUnsupported }

func (*master) exited() bool { return true }

func (*master) stop(time.Duration) error { return nil }
