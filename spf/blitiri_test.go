package spf

import (
	"context"
	"fmt"
	"net"
	"testing"

	blitiri "blitiri.com.ar/go/spf"
	"github.com/stretchr/testify/assert"
)

// These tests pin what blitiri.go relies on in blitiri.com.ar/go/spf, whose
// trace is documented as neither machine-readable nor stable: an upgrade
// that changes any of it must fail here, not silently lose the Mechanism
// of verdicts or change results.

// pinResolver answers blitiri from TXT records by name, with one address
// for every host, and records the lookups blitiri makes.
type pinResolver struct {
	txt     map[string]string
	err     error // answers every TXT lookup, when set
	lookups []string
}

func (r *pinResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.lookups = append(r.lookups, "TXT "+name)
	if r.err != nil {
		return nil, r.err
	}
	if txt, ok := r.txt[name]; ok {
		return []string{txt}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *pinResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	r.lookups = append(r.lookups, "MX "+name)
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *pinResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.lookups = append(r.lookups, "IP "+host)
	return []net.IPAddr{{IP: net.IPv4(192, 0, 2, 1)}}, nil
}

func (r *pinResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	r.lookups = append(r.lookups, "PTR "+addr)
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

// traceLine is one call of blitiri's trace function.
type traceLine struct {
	format string
	args   []any
}

// runBlitiri checks sender from ip with raw blitiri, returning the result
// and the trace lines that blitiri.go reads.
func runBlitiri(t *testing.T, r *pinResolver, ip net.IP, sender string) (blitiri.Result, []traceLine) {
	t.Helper()
	var lines []traceLine
	trace := func(format string, args ...any) {
		switch format {
		case traceAll, traceMatch, traceNeutral:
			lines = append(lines, traceLine{format, args})
		}
	}
	res, _ := blitiri.CheckHostWithSender(ip, "helo.example", sender,
		blitiri.WithResolver(r), blitiri.WithTraceFunc(trace))
	return res, lines
}

// The trace lines that say which directive matched, with their arguments:
// a directive without its qualifier, reported on the way back up from an
// include, so that the last one belongs to the record that decided; a
// redirect reported on another line.
func TestBlitiriTraceFormats(t *testing.T) {
	tests := []struct {
		name   string
		txt    map[string]string
		result blitiri.Result
		trace  []traceLine
	}{
		{"all", map[string]string{"d.example": "v=spf1 ip4:198.51.100.0/24 -all"},
			blitiri.Fail, []traceLine{{traceAll, []any{blitiri.Fail}}}},
		{"a directive, without its qualifier", map[string]string{"d.example": "v=spf1 ~ip4:192.0.2.0/24 -all"},
			blitiri.SoftFail, []traceLine{{traceMatch, []any{"ip4:192.0.2.0/24", blitiri.SoftFail, blitiri.ErrMatchedIP}}}},
		{"include: the inner match, then the include", map[string]string{
			"d.example":     "v=spf1 include:inner.example -all",
			"inner.example": "v=spf1 a:h.example",
		}, blitiri.Pass, []traceLine{
			{traceMatch, []any{"a:h.example", blitiri.Pass, blitiri.ErrMatchedA}},
			{traceMatch, []any{"include:inner.example", blitiri.Pass, blitiri.ErrMatchedA}},
		}},
		{"redirect: the target's match only", map[string]string{
			"d.example":      "v=spf1 redirect=target.example",
			"target.example": "v=spf1 ?exists:x.example",
		}, blitiri.Neutral, []traceLine{
			{traceMatch, []any{"exists:x.example", blitiri.Neutral, blitiri.ErrMatchedExists}},
		}},
		{"no match", map[string]string{"d.example": "v=spf1 ip4:198.51.100.0/24"},
			blitiri.Neutral, []traceLine{{traceNeutral, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, trace := runBlitiri(t, &pinResolver{txt: tt.txt}, net.IPv4(192, 0, 2, 1), "a@d.example")
			assert.Equal(t, tt.result, res)
			assert.Equal(t, tt.trace, trace)
		})
	}
}

// The adapter's trace function reads those lines into the directive that
// matched: "all", a directive as handed over, or none.
func TestTraceReadsMatch(t *testing.T) {
	var e evaluation
	e.trace(traceMatch, "a:h.example", blitiri.Pass, nil)
	assert.Equal(t, "a:h.example", e.matched)
	e.trace("%q: %v, %v", "redirect=t.example", blitiri.Pass, nil) // not a match line
	assert.Equal(t, "a:h.example", e.matched)
	e.trace(traceAll, blitiri.Fail)
	assert.Equal(t, "all", e.matched)
	e.trace(traceNeutral)
	assert.Empty(t, e.matched)
}

// blitiri tells errors apart by a type assertion on *net.DNSError: bare
// ones classify, anything else (errMultipleRecords, a wrapped DNS error)
// is permerror (see the Resolver contract).
func TestBlitiriErrorClasses(t *testing.T) {
	tests := []struct {
		err  error
		want blitiri.Result
	}{
		{&net.DNSError{Err: "no such host", IsNotFound: true}, blitiri.None},
		{&net.DNSError{Err: "server misbehaving", IsTemporary: true}, blitiri.TempError},
		{&net.DNSError{Err: "i/o timeout", IsTimeout: true, IsTemporary: true}, blitiri.TempError},
		{errMultipleRecords, blitiri.PermError},
		{fmt.Errorf("wrapped: %w", &net.DNSError{Err: "server misbehaving", IsTemporary: true}), blitiri.PermError},
	}
	for _, tt := range tests {
		res, _ := runBlitiri(t, &pinResolver{err: tt.err}, net.IPv4(192, 0, 2, 1), "a@d.example")
		assert.Equal(t, tt.want, res, "%v", tt.err)
	}
}

// The lookups blitiri makes, as the adapter expects them: the sender's
// domain after its first "@" (run gives "@domain" for any other sender),
// a redirect= or include: target by TXT as written, and a: and exists:
// targets by LookupIPAddr, as written: tokens reach LookupTXT and
// LookupIPAddr unchanged.
func TestBlitiriLookups(t *testing.T) {
	r := &pinResolver{txt: map[string]string{
		"d.example":        "v=spf1 a:t1" + tokenSuffix + " redirect=t0" + tokenSuffix,
		"t0" + tokenSuffix: "v=spf1 exists:t2" + tokenSuffix,
	}}
	other := net.IPv4(203, 0, 113, 1) // not the address of t1: exists: decides
	res, _ := runBlitiri(t, r, other, "@d.example")
	assert.Equal(t, blitiri.Pass, res)
	assert.Equal(t, []string{
		"TXT d.example",
		"IP t1" + tokenSuffix,
		"TXT t0" + tokenSuffix,
		"IP t2" + tokenSuffix,
	}, r.lookups)

	r.lookups = nil
	_, _ = runBlitiri(t, r, other, "a@b@d.example")
	assert.Equal(t, []string{"TXT b@d.example"}, r.lookups, "split at the first @")
}
