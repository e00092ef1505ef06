package policy

import (
	"io"

	"github.com/bouncepolicy/bouncepolicy/dsn"
)

// scratch is the working memory of one decision, none of which the
// Decision keeps: the original's header buffer, the report, the DSN
// composer and the buffer a message is composed into. Decisions reuse it
// through the Policy's pool, so that one allocates little more than what
// it returns.
type scratch struct {
	orig     original
	report   dsn.Report
	spool    spool
	composer dsn.Composer // last: its scratch has no pointers for the GC to scan
}

// spoolSize is the room a scratch has for a message: enough for a DSN
// that returns a header of some kilobytes.
const spoolSize = 16 << 10

// getScratch returns a scratch for a decision on the original open
// opens; trace says whether rule 8 may read its trace fields.
func (p *Policy) getScratch(open func() (io.ReadCloser, error), trace bool) *scratch {
	s, _ := p.scratchPool.Get().(*scratch)
	if s == nil {
		s = &scratch{spool: spool{room: make([]byte, 0, spoolSize)}}
	}
	s.orig.open, s.orig.trace = open, trace
	return s
}

// putScratch closes the decision's original and keeps s for the next.
func (p *Policy) putScratch(s *scratch) {
	s.orig.Close()
	// s holds on to nothing of this decision.
	s.orig.reset()
	clear(s.report.Recipients)
	s.report = dsn.Report{Recipients: s.report.Recipients[:0]}
	s.spool.reset(0, 0)
	s.spool.ctx = nil
	p.scratchPool.Put(s)
}
