package dsn

import "io"

// sink buffers what Compose writes, counts it and keeps the first error,
// like a bufio.Writer whose buffer lives inside the composer, so a DSN
// costs no extra allocation. It fills its buffer by index, not by append:
// storing a slice into the heap-allocated composer would cost a GC write
// barrier on every write. Writes at least as large as the buffer go
// straight through.
type sink struct {
	w    io.Writer
	buf  []byte // fixed
	used int    // bytes of buf waiting
	n    int64  // bytes handed to w
	err  error
}

func (s *sink) flush() error {
	if s.err == nil && s.used > 0 {
		var n int
		n, s.err = s.w.Write(s.buf[:s.used])
		s.n += int64(n)
		if s.err == nil && n < s.used {
			s.err = io.ErrShortWrite
		}
	}
	s.used = 0
	return s.err
}

func (s *sink) Write(p []byte) (int, error) {
	if s.used+len(p) > len(s.buf) {
		if s.flush(); len(p) >= len(s.buf) && s.err == nil {
			n, err := s.w.Write(p)
			s.n += int64(n)
			if err == nil && n < len(p) {
				err = io.ErrShortWrite
			}
			s.err = err
			return n, err
		}
	}
	s.used += copy(s.buf[s.used:], p)
	return len(p), s.err
}

func (s *sink) WriteString(p string) (int, error) {
	if s.used+len(p) > len(s.buf) {
		return s.Write([]byte(p))
	}
	s.used += copy(s.buf[s.used:], p)
	return len(p), s.err
}

func (s *sink) WriteByte(c byte) error {
	if s.used == len(s.buf) {
		s.flush()
	}
	s.buf[s.used] = c
	s.used++
	return s.err
}
