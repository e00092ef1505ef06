package spf_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/resolver"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// The RFC 7208 test suite (pyspf's, as shipped with blitiri spf): a YAML
// stream of scenarios, each a zone and cases against it.
type suiteScenario struct {
	Description string
	Tests       map[string]suiteCase
	ZoneData    map[string][]suiteRecord `yaml:"zonedata"`
}

type suiteCase struct {
	Spec        any
	Helo        string
	Host        string
	MailFrom    string `yaml:"mailfrom"`
	Result      stringList
	Explanation string
}

// A suiteRecord is one zonedata entry: a type and its data, or a fault.
type suiteRecord struct {
	A, AAAA, PTR, TXT, SPF stringList
	MX                     []any
	CNAME                  string
	Timeout                bool
	CNAMELoop              bool
}

func (r *suiteRecord) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "TIMEOUT" { // the pristine suite's form
		r.Timeout = true
		return nil
	}
	var m struct {
		A         stringList `yaml:"A"`
		AAAA      stringList `yaml:"AAAA"`
		PTR       stringList `yaml:"PTR"`
		TXT       stringList `yaml:"TXT"`
		SPF       stringList `yaml:"SPF"`
		MX        []any      `yaml:"MX"`
		CNAME     string     `yaml:"CNAME"`
		Timeout   bool       `yaml:"TIMEOUT"`
		CNAMELoop bool       `yaml:"CNAMELOOP"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	*r = suiteRecord(m)
	return nil
}

// stringList reads a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		return n.Decode((*[]string)(l))
	}
	*l = stringList{n.Value}
	return nil
}

// suitePath finds the suite in the blitiri module, or the pristine copy
// in ../shared.
func suitePath(t testing.TB) string {
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "blitiri.com.ar/go/spf").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "testdata", "rfc7208-tests.yml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p := filepath.Join("..", "..", "shared", "testdata", "spf", "rfc7208-tests.yml")
	if _, err := os.Stat(p); err != nil {
		t.Skip("RFC 7208 test suite not found in the blitiri module nor in ../shared/testdata/spf")
	}
	return p
}

func loadSuite(t testing.TB) []suiteScenario {
	f, err := os.Open(suitePath(t))
	require.NoError(t, err)
	defer f.Close()
	var scenarios []suiteScenario
	dec := yaml.NewDecoder(f)
	for {
		var s suiteScenario
		err := dec.Decode(&s)
		if errors.Is(err, io.EOF) {
			return scenarios
		}
		require.NoError(t, err)
		scenarios = append(scenarios, s)
	}
}

// zoneOf turns a scenario's zonedata into a Zone, as pyspf's
// harness reads it:
//   - type SPF records are not served (RFC 7208 §3.1), but a name with SPF
//     data and no TXT data gets that data as TXT, since the suite predates
//     the change;
//   - TXT "NONE" means "no TXT record" (and no SPF data turned into TXT);
//   - TIMEOUT makes the queries for types without data time out; as only
//     TXT queries matter, a name with TXT data keeps answering.
//
// A list of strings is one record of several character-strings.
func zoneOf(t testing.TB, data map[string][]suiteRecord) *spftest.Zone {
	var zone strings.Builder
	var timeouts []string
	for name, records := range data {
		owner := zoneName(name)
		hasTXT, timeout := false, false
		for _, r := range records {
			hasTXT = hasTXT || r.TXT != nil
			timeout = timeout || r.Timeout
		}
		answersTXT := false
		for _, r := range records {
			for _, a := range r.A {
				fmt.Fprintf(&zone, "%s A %s\n", owner, a)
			}
			for _, a := range r.AAAA {
				fmt.Fprintf(&zone, "%s AAAA %s\n", owner, a)
			}
			for _, p := range r.PTR {
				fmt.Fprintf(&zone, "%s PTR %s\n", owner, zoneName(p))
			}
			if len(r.MX) == 2 {
				fmt.Fprintf(&zone, "%s MX %v %s\n", owner, r.MX[0], zoneName(fmt.Sprint(r.MX[1])))
			}
			if r.CNAME != "" {
				fmt.Fprintf(&zone, "%s CNAME %s\n", owner, zoneName(r.CNAME))
			}
			if r.CNAMELoop {
				fmt.Fprintf(&zone, "%s CNAME %s\n", owner, owner)
			}
			txt := r.TXT
			if !hasTXT {
				txt = r.SPF
			}
			if len(txt) > 0 && !(len(txt) == 1 && txt[0] == "NONE") {
				fmt.Fprintf(&zone, "%s TXT %s\n", owner, txtData(txt))
				answersTXT = true
			}
		}
		if timeout && !answersTXT {
			timeouts = append(timeouts, name)
		}
	}
	z, err := spftest.NewZone(strings.NewReader(zone.String()), ".")
	require.NoError(t, err, zone.String())
	for _, name := range timeouts {
		z.Inject(name, spftest.Timeout)
	}
	return z
}

func hasTimeouts(data map[string][]suiteRecord) bool {
	for _, records := range data {
		for _, r := range records {
			if r.Timeout {
				return true
			}
		}
	}
	return false
}

// zoneName writes a name in zone-file syntax, absolute, escaping only the
// octets the zone parser would read otherwise (RFC 1035 §5.1).
func zoneName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c <= ' ' || c >= 0x7f:
			fmt.Fprintf(&b, `\%03d`, c)
		case strings.IndexByte(`"();@$\`, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return dns.Fqdn(b.String())
}

// txtData writes character-strings, split at 255 octets (RFC 1035 §3.3.14).
func txtData(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		for first := true; first || p != ""; first = false {
			chunk := p[:min(len(p), 255)]
			p = p[len(chunk):]
			b.WriteString(` "`)
			for i := 0; i < len(chunk); i++ {
				c := chunk[i]
				if c < ' ' || c > '~' || c == '"' || c == '\\' {
					fmt.Fprintf(&b, `\%03d`, c)
				} else {
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
		}
	}
	return b.String()
}

// TestRFC7208Suite runs every case of the RFC 7208 test suite, through the
// Zone and through a Network resolver asking a loopback server:
// results and, where stated, explanations must match.
func TestRFC7208Suite(t *testing.T) {
	scenarios := loadSuite(t)
	for _, mode := range []string{"zone", "network"} {
		t.Run(mode, func(t *testing.T) {
			var total, passed atomic.Int32
			t.Cleanup(func() {
				t.Logf("RFC 7208 suite through the %s resolver: %d/%d cases pass", mode, passed.Load(), total.Load())
			})
			for _, sc := range scenarios {
				z := zoneOf(t, sc.ZoneData)
				// Short limits keep the scenarios with timeouts quick; the
				// others get room, so that a loaded machine cannot fail them.
				checkLimit, queryLimit := 10*time.Second, 2*time.Second
				if hasTimeouts(sc.ZoneData) {
					checkLimit, queryLimit = 600*time.Millisecond, 250*time.Millisecond
				}
				var r spf.Resolver = z
				if mode == "network" {
					r = &resolver.Network{Servers: []string{spftest.Serve(t, z)}, Timeout: queryLimit}
				}
				checker := &spf.Checker{Resolver: r, Timeout: checkLimit, Receiver: "receiver.example"}
				names := make([]string, 0, len(sc.Tests))
				for name := range sc.Tests {
					names = append(names, name)
				}
				sort.Strings(names)
				for _, name := range names {
					tc := sc.Tests[name]
					total.Add(1)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						v := checker.Check(context.Background(), netip.MustParseAddr(tc.Host), tc.Helo, tc.MailFrom)
						ok := assert.Contains(t, tc.Result, string(v.Result), "RFC 7208 §%v: %+v", tc.Spec, v)
						switch {
						case tc.Explanation == "DEFAULT":
							ok = assert.Contains(t, v.Explanation, " does not designate ", "RFC 7208 §6.2: default explanation") && ok
						case tc.Explanation != "":
							ok = assert.Equal(t, tc.Explanation, v.Explanation, "RFC 7208 §6.2: explanation") && ok
						}
						if ok {
							passed.Add(1)
						}
					})
				}
			}
		})
	}
}
