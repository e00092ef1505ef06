package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/cmdflag"
	"github.com/bouncepolicy/bouncepolicy/policy"
)

// original opens the message inline or in message_file, a regular file
// inside dir: a path leading out of it, even by a symbolic link, a missing
// file or one that is not regular (a directory, a device, a FIFO) is
// invalid input, found before deciding.
func (e *eventJSON) original(dir string) (func() (io.ReadCloser, error), error) {
	switch {
	case e.Message != nil && e.MessageFile != "":
		return nil, cmdflag.Usagef("event: message and message_file: give one, not both")
	case e.Message != nil:
		return policy.OriginalBytes([]byte(*e.Message)), nil
	case e.MessageFile == "":
		return nil, nil
	case !filepath.IsLocal(e.MessageFile):
		return nil, cmdflag.Usagef("event: message_file: %q is not inside the event file's directory", e.MessageFile)
	}
	open := func() (io.ReadCloser, error) { return openRegular(dir, e.MessageFile) }
	f, err := open()
	if err != nil {
		return nil, cmdflag.Usagef("event: message_file: %v", err)
	}
	f.Close()
	return open, nil
}

// openRegular opens the regular file name inside dir. O_NONBLOCK lets a
// FIFO open without a writer, to be refused rather than wait forever; it
// changes nothing for a regular file.
func openRegular(dir, name string) (*os.File, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%q is not a regular file", name)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
