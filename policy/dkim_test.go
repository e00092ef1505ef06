package policy

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// dkimKeys are the test's signing keys, made once per test binary:
// ed25519 and RSA-2048 keys published in the zone, and an ed25519 key
// that is published nowhere (its signatures do not verify).
type dkimKeys struct {
	ed    ed25519.PrivateKey
	rsa   *rsa.PrivateKey
	wrong ed25519.PrivateKey
}

var dkimTestKeys = sync.OnceValue(func() dkimKeys {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	_, wrong, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return dkimKeys{ed: ed, rsa: rk, wrong: wrong}
})

// dkimTestDomains are the signing domains with keys in the test zone.
var dkimTestDomains = []string{
	"example.org", "mail.example.org", "a.example.org", "b.example.org",
	"example.net", "co.uk", "foo.co.uk", "github.io",
}

// dkimZoneText publishes the test keys: selector "ed" (ed25519) and "rsa"
// (RSA-2048) under every test domain, a revoked key (selector "revoked"),
// and nothing for any other selector.
func dkimZoneText(tb testing.TB) string {
	tb.Helper()
	k := dkimTestKeys()
	edPub := base64.StdEncoding.EncodeToString(k.ed.Public().(ed25519.PublicKey))
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	require.NoError(tb, err)
	rsaPub := base64.StdEncoding.EncodeToString(der)
	// A TXT string holds at most 255 octets: split the RSA key, as one
	// publishes it (the resolver joins the strings of one record).
	var chunks []string
	for s := "v=DKIM1; k=rsa; p=" + rsaPub; s != ""; {
		n := min(len(s), 200)
		chunks = append(chunks, `"`+s[:n]+`"`)
		s = s[n:]
	}
	var b strings.Builder
	b.WriteString("$TTL 300\n")
	for _, d := range dkimTestDomains {
		fmt.Fprintf(&b, "ed._domainkey.%s. TXT \"v=DKIM1; k=ed25519; p=%s\"\n", d, edPub)
		fmt.Fprintf(&b, "rsa._domainkey.%s. TXT %s\n", d, strings.Join(chunks, " "))
		fmt.Fprintf(&b, "revoked._domainkey.%s. TXT \"v=DKIM1; k=ed25519; p=\"\n", d)
	}
	return b.String()
}

func newDKIMZone(tb testing.TB) *spftest.Zone {
	tb.Helper()
	z, err := spftest.NewZone(strings.NewReader(dkimZoneText(tb)), ".")
	require.NoError(tb, err)
	return z
}

// dkimTestMessage is the message the tests sign.
const dkimTestMessage = "From: Alice <alice@example.org>\r\n" +
	"To: bob@hosted.example\r\n" +
	"Subject: lunch\r\n" +
	"Message-ID: <lunch-1@example.org>\r\n" +
	"Date: Fri, 27 Nov 2026 09:59:58 +0000\r\n" +
	"\r\n" +
	"Shall we?\r\n" +
	"At noon.\r\n"

// dkimSignature returns a DKIM-Signature field for msg by d= domain with
// selector sel ("ed", "rsa", "revoked", or anything unpublished), signed
// with the key the selector names, or with the unpublished key when wrong
// is set (so that it does not verify).
func dkimSignature(tb testing.TB, msg, domain, sel string, wrong bool, edit func(*dkim.SignOptions)) string {
	tb.Helper()
	k := dkimTestKeys()
	o := &dkim.SignOptions{
		Domain:                 domain,
		Selector:               sel,
		Signer:                 k.ed,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             []string{"From", "To", "Subject", "Message-ID", "Date"},
	}
	if sel == "rsa" {
		o.Signer = k.rsa
	}
	if wrong {
		o.Signer = k.wrong
	}
	if edit != nil {
		edit(o)
	}
	s, err := dkim.NewSigner(o)
	require.NoError(tb, err)
	_, err = io.WriteString(s, msg)
	require.NoError(tb, err)
	require.NoError(tb, s.Close())
	return s.Signature()
}

// dkimSigned returns msg with a signature by domain (selector sel) on top.
func dkimSigned(tb testing.TB, msg, domain, sel string) string {
	tb.Helper()
	return dkimSignature(tb, msg, domain, sel, false, nil) + msg
}

// runVerifyDKIM verifies msg for domain against the test zone.
func runVerifyDKIM(t *testing.T, z *spftest.Zone, msg, domain string) (string, bool, error) {
	t.Helper()
	return verifyDKIM(context.Background(), z.LookupTXT, strings.NewReader(msg), domain)
}

func TestVerifyDKIMAlignment(t *testing.T) {
	z := newDKIMZone(t)
	tests := []struct {
		name       string
		d, sel     string // the signature
		domain     string // the return path's
		wantSigner string // "" for not aligned-pass
	}{
		{"exact ed25519", "example.org", "ed", "example.org", "example.org"},
		{"exact rsa-2048", "example.org", "rsa", "example.org", "example.org"},
		{"exact ignores case and root dot", "Example.ORG", "ed", "EXAMPLE.org.", "example.org"},
		{"organisational parent", "example.org", "ed", "mail.example.org", "example.org"},
		{"organisational parent, deeper", "example.org", "rsa", "a.b.example.org", "example.org"},
		{"exact subdomain", "mail.example.org", "ed", "mail.example.org", "mail.example.org"},
		{"subdomain d= refused", "mail.example.org", "ed", "example.org", ""},
		{"sibling refused", "a.example.org", "ed", "b.example.org", ""},
		{"intermediate parent refused", "b.example.org", "ed", "a.b.example.org", ""},
		{"unrelated refused", "example.net", "ed", "example.org", ""},
		{"suffix-sharing name refused", "example.org", "ed", "badexample.org", ""},
		{"public suffix domain, exact", "co.uk", "ed", "co.uk", "co.uk"},
		{"public suffix never organisational", "co.uk", "ed", "foo.co.uk", ""},
		{"below a public suffix, parent", "foo.co.uk", "ed", "mail.foo.co.uk", "foo.co.uk"},
		{"private public suffix never organisational", "github.io", "ed", "alice.github.io", ""},
		{"empty domain", "example.org", "ed", "", ""},
		{"address literal", "example.org", "ed", "[192.0.2.1]", ""},
		{"U-label domain", "example.org", "ed", "exämple.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := dkimSigned(t, dkimTestMessage, tt.d, tt.sel)
			signer, ok, err := runVerifyDKIM(t, z, msg, tt.domain)
			require.NoError(t, err)
			assert.Equal(t, tt.wantSigner != "", ok)
			assert.Equal(t, tt.wantSigner, signer)
		})
	}
}

// A signature that is not aligned could not count, so its key is not
// looked up (nor its failure reported); an aligned one costs one query.
func TestVerifyDKIMUnalignedMakesNoQuery(t *testing.T) {
	z := newDKIMZone(t)
	var queries atomic.Int32
	lookup := func(ctx context.Context, name string) ([]string, error) {
		queries.Add(1)
		return z.LookupTXT(ctx, name)
	}
	// Even a failing resolver for the unaligned key makes no error.
	z.Inject("ed._domainkey.example.net.", spftest.ServFail)
	msg := dkimSigned(t, dkimTestMessage, "example.net", "ed")
	_, ok, err := verifyDKIM(context.Background(), lookup, strings.NewReader(msg), "example.org")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Zero(t, queries.Load())

	msg = dkimSigned(t, dkimTestMessage, "example.org", "ed")
	_, ok, err = verifyDKIM(context.Background(), lookup, strings.NewReader(msg), "example.org")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int32(1), queries.Load())
}

func TestVerifyDKIMModified(t *testing.T) {
	z := newDKIMZone(t)
	signed := dkimSigned(t, dkimTestMessage, "example.org", "ed")
	tests := []struct {
		name   string
		edit   func(string) string
		wantOK bool
	}{
		{"unmodified", func(s string) string { return s }, true},
		{"body changed", func(s string) string { return strings.Replace(s, "At noon.", "At one.", 1) }, false},
		{"body appended", func(s string) string { return s + "Click here.\r\n" }, false},
		{"From changed", func(s string) string {
			return strings.Replace(s, "From: Alice <alice@example.org>", "From: Mallory <mallory@example.org>", 1)
		}, false},
		{"second From added", func(s string) string {
			return strings.Replace(s, "To: bob", "From: mallory@example.org\r\nTo: bob", 1)
		}, false},
		{"Subject changed", func(s string) string { return strings.Replace(s, "Subject: lunch", "Subject: win", 1) }, false},
		// Fields that were not signed may be added: this is the replay
		// risk documented on verifyDKIM (a new Return-Path, Received).
		{"unsigned field added", func(s string) string {
			return "Return-Path: <victim@example.org>\r\nReceived: from spammer\r\n" + s
		}, true},
		// Relaxed canonicalization tolerates whitespace changes.
		{"whitespace changed", func(s string) string { return strings.Replace(s, "Subject: lunch", "Subject:   lunch", 1) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := runVerifyDKIM(t, z, tt.edit(signed), "example.org")
			require.NoError(t, err)
			assert.Equal(t, tt.wantOK, ok)
		})
	}
}

func TestVerifyDKIMNoSignature(t *testing.T) {
	z := newDKIMZone(t)
	for name, msg := range map[string]string{
		"plain":         dkimTestMessage,
		"empty":         "",
		"header only":   "From: alice@example.org\r\n",
		"no header":     "\r\nbody\r\n",
		"garbage":       "\x00\x01\x02",
		"empty DKIM":    "DKIM-Signature:\r\n" + dkimTestMessage,
		"bad tags":      "DKIM-Signature: v=1; d=example.org; s=ed; =;;\r\n" + dkimTestMessage,
		"missing b tag": "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=ed; h=From; bh=AAAA\r\n" + dkimTestMessage,
	} {
		t.Run(name, func(t *testing.T) {
			signer, ok, err := runVerifyDKIM(t, z, msg, "example.org")
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Empty(t, signer)
		})
	}
}

func TestVerifyDKIMKeyAbsent(t *testing.T) {
	z := newDKIMZone(t)
	for _, sel := range []string{"gone", "revoked"} {
		t.Run(sel, func(t *testing.T) {
			msg := dkimSigned(t, dkimTestMessage, "example.org", sel)
			_, ok, err := runVerifyDKIM(t, z, msg, "example.org")
			require.NoError(t, err, "a missing or revoked key is permanent")
			assert.False(t, ok)
		})
	}
}

func TestVerifyDKIMWrongKey(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimSignature(t, dkimTestMessage, "example.org", "ed", true, nil) + dkimTestMessage
	_, ok, err := runVerifyDKIM(t, z, msg, "example.org")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestVerifyDKIMExpired(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimSignature(t, dkimTestMessage, "example.org", "ed", false, func(o *dkim.SignOptions) {
		o.Expiration = time.Now().Add(-time.Hour)
	}) + dkimTestMessage
	_, ok, err := runVerifyDKIM(t, z, msg, "example.org")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestVerifyDKIMKeyTempFail(t *testing.T) {
	msg := dkimSigned(t, dkimTestMessage, "example.org", "ed")

	t.Run("SERVFAIL", func(t *testing.T) {
		z := newDKIMZone(t)
		z.Inject("ed._domainkey.example.org.", spftest.ServFail)
		_, ok, err := runVerifyDKIM(t, z, msg, "example.org")
		require.Error(t, err)
		assert.False(t, ok)
		var derr *net.DNSError
		require.ErrorAs(t, err, &derr)
		assert.True(t, derr.IsTemporary)
		assert.Equal(t, "ed._domainkey.example.org", strings.TrimSuffix(derr.Name, "."))
	})

	t.Run("organisational key SERVFAIL", func(t *testing.T) {
		z := newDKIMZone(t)
		z.Inject("ed._domainkey.example.org.", spftest.ServFail)
		_, ok, err := runVerifyDKIM(t, z, msg, "mail.example.org")
		require.Error(t, err)
		assert.False(t, ok)
	})

	t.Run("timeout", func(t *testing.T) {
		z := newDKIMZone(t)
		z.Inject("ed._domainkey.example.org.", spftest.Timeout)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, ok, err := verifyDKIM(ctx, z.LookupTXT, strings.NewReader(msg), "example.org")
		require.Error(t, err)
		assert.False(t, ok)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("plain resolver error is temporary", func(t *testing.T) {
		boom := errors.New("connection refused")
		lookup := func(ctx context.Context, name string) ([]string, error) { return nil, boom }
		_, ok, err := verifyDKIM(context.Background(), lookup, strings.NewReader(msg), "example.org")
		assert.ErrorIs(t, err, boom)
		assert.False(t, ok)
	})

	t.Run("another aligned signature passes", func(t *testing.T) {
		z := newDKIMZone(t)
		z.Inject("rsa._domainkey.example.org.", spftest.ServFail)
		two := dkimSignature(t, dkimTestMessage, "example.org", "rsa", false, nil) +
			dkimSignature(t, dkimTestMessage, "example.org", "ed", false, nil) + dkimTestMessage
		signer, ok, err := runVerifyDKIM(t, z, two, "example.org")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "example.org", signer)
	})
}

func TestVerifyDKIMTwoSignatures(t *testing.T) {
	z := newDKIMZone(t)
	good := dkimSignature(t, dkimTestMessage, "example.org", "ed", false, nil)
	bad := dkimSignature(t, dkimTestMessage, "example.org", "ed", true, nil)
	unaligned := dkimSignature(t, dkimTestMessage, "example.net", "ed", false, nil)
	tests := []struct {
		name   string
		sigs   string
		wantOK bool
	}{
		{"bad then good", bad + good, true},
		{"good then bad", good + bad, true},
		{"unaligned good, aligned bad", unaligned + bad, false},
		{"unaligned good then aligned good", unaligned + good, true},
		{"two bad", bad + bad, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := runVerifyDKIM(t, z, tt.sigs+dkimTestMessage, "example.org")
			require.NoError(t, err)
			assert.Equal(t, tt.wantOK, ok)
		})
	}
}

// At most maxDKIMSignatures are verified, in header order.
func TestVerifyDKIMMaxSignatures(t *testing.T) {
	z := newDKIMZone(t)
	good := dkimSignature(t, dkimTestMessage, "example.org", "ed", false, nil)
	bad := dkimSignature(t, dkimTestMessage, "example.org", "ed", true, nil)

	within := strings.Repeat(bad, maxDKIMSignatures-1) + good + dkimTestMessage
	_, ok, err := runVerifyDKIM(t, z, within, "example.org")
	require.NoError(t, err)
	assert.True(t, ok)

	past := strings.Repeat(bad, maxDKIMSignatures) + good + dkimTestMessage
	_, ok, err = runVerifyDKIM(t, z, past, "example.org")
	require.NoError(t, err)
	assert.False(t, ok, "a signature past the limit is not verified")
}

// dkimHandSign signs header (fields with their CRLF) and body with the
// test's ed25519 key, simple/simple canonicalization, by hand (RFC 6376
// §3.7, RFC 8463): go-msgauth's signer cannot make the signatures tested
// here, one with a body length tag and one whose h= leaves From out.
// bodyLen < 0 means no l= tag. Only fields named once in header may be
// in signed.
func dkimHandSign(t *testing.T, header []string, body string, signed []string, bodyLen int) string {
	t.Helper()
	hb := body
	if bodyLen >= 0 {
		hb = body[:bodyLen]
	}
	bh := sha256.Sum256([]byte(hb))
	sig := "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; d=example.org; s=ed; h=" +
		strings.Join(signed, ":") + "; "
	if bodyLen >= 0 {
		sig += fmt.Sprintf("l=%d; ", bodyLen)
	}
	sig += "bh=" + base64.StdEncoding.EncodeToString(bh[:]) + "; b="

	h := sha256.New()
	for _, name := range signed {
		found := false
		for _, f := range header {
			if strings.EqualFold(strings.SplitN(f, ":", 2)[0], name) {
				h.Write([]byte(f))
				found = true
			}
		}
		require.True(t, found, name)
	}
	h.Write([]byte(sig))
	b, err := dkimTestKeys().ed.Sign(rand.Reader, h.Sum(nil), crypto.Hash(0))
	require.NoError(t, err)
	return sig + base64.StdEncoding.EncodeToString(b) + "\r\n" + strings.Join(header, "") + "\r\n" + body
}

var (
	dkimHandHeader = []string{
		"From: Alice <alice@example.org>\r\n",
		"To: bob@hosted.example\r\n",
		"Subject: lunch\r\n",
	}
	dkimHandBody = "Shall we?\r\nAt noon.\r\n"
)

// A body length tag (l=) lets anyone append to a signed body: refused.
// The control shows the hand signer makes signatures that verify.
func TestVerifyDKIMBodyLengthRefused(t *testing.T) {
	z := newDKIMZone(t)
	signed := []string{"From", "To", "Subject"}

	control := dkimHandSign(t, dkimHandHeader, dkimHandBody, signed, -1)
	_, ok, err := runVerifyDKIM(t, z, control, "example.org")
	require.NoError(t, err)
	require.True(t, ok, "control: the hand-made signature verifies")

	whole := dkimHandSign(t, dkimHandHeader, dkimHandBody, signed, len(dkimHandBody))
	_, ok, err = runVerifyDKIM(t, z, whole, "example.org")
	require.NoError(t, err)
	assert.False(t, ok, "l= covering the whole body")

	appended := whole + "Visit http://spam.example/\r\n"
	_, ok, err = runVerifyDKIM(t, z, appended, "example.org")
	require.NoError(t, err)
	assert.False(t, ok, "l= with content appended")

	// Independent of verifyDKIM: go-msgauth itself refuses l=, and the
	// reason is the tag, not a broken signature.
	verifs, err := dkim.VerifyWithOptions(strings.NewReader(whole), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return z.LookupTXT(context.Background(), name) },
	})
	require.NoError(t, err)
	require.Len(t, verifs, 1)
	require.Error(t, verifs[0].Err)
	assert.Contains(t, verifs[0].Err.Error(), "body length")
}

// A signature whose h= does not cover From does not count (go-msgauth
// refuses it, RFC 6376 §5.4 makes From mandatory).
func TestVerifyDKIMFromNotSigned(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimHandSign(t, dkimHandHeader, dkimHandBody, []string{"To", "Subject"}, -1)
	_, ok, err := runVerifyDKIM(t, z, msg, "example.org")
	require.NoError(t, err)
	assert.False(t, ok)
}

// A message stored with LF line ends (a Maildir file, a queue file) still
// verifies: the header is read line by line and the relaxed body
// canonicalization ends lines with CRLF.
func TestVerifyDKIMLFLineEnds(t *testing.T) {
	z := newDKIMZone(t)
	signed := dkimSigned(t, dkimTestMessage, "example.org", "ed")
	lf := strings.ReplaceAll(signed, "\r\n", "\n")
	_, ok, err := runVerifyDKIM(t, z, lf, "example.org")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestVerifyDKIMContextCancelled(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimSigned(t, dkimTestMessage, "example.org", "ed")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok, err := verifyDKIM(ctx, z.LookupTXT, strings.NewReader(msg), "example.org")
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
}

// dkimCancelReader cancels its context once the header has been read.
type dkimCancelReader struct {
	r      io.Reader
	after  int
	cancel context.CancelFunc
}

func (c *dkimCancelReader) Read(p []byte) (int, error) {
	if c.after <= 0 {
		c.cancel()
	}
	if len(p) > 512 {
		p = p[:512]
	}
	n, err := c.r.Read(p)
	c.after -= n
	return n, err
}

// Cancelled while the body is copied to several signatures at once: an
// error, and no goroutine of go-msgauth left behind.
func TestVerifyDKIMCancelledMidBody(t *testing.T) {
	z := newDKIMZone(t)
	body := strings.Repeat("All work and no play makes Jack a dull boy.\r\n", 2000)
	msg := dkimTestMessage + body
	three := dkimSignature(t, msg, "example.org", "ed", false, nil) +
		dkimSignature(t, msg, "example.org", "rsa", false, nil) +
		dkimSignature(t, msg, "example.net", "ed", false, nil) + msg
	headerLen := strings.Index(three, "\r\n\r\n") + 4

	before := runtime.NumGoroutine()
	for range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		r := &dkimCancelReader{r: strings.NewReader(three), after: headerLen + 1024, cancel: cancel}
		_, ok, err := verifyDKIM(ctx, z.LookupTXT, r, "example.org")
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, ok)
		cancel()
	}
	// go-msgauth's goroutines end right after Verify returns; give them a
	// moment. A leak would leave 60 behind.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before+5)
}

func TestVerifyDKIMReadError(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimSigned(t, dkimTestMessage, "example.org", "ed")
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(msg[:len(msg)-5]), iotest.ErrReader(boom))
	_, ok, err := verifyDKIM(context.Background(), z.LookupTXT, r, "example.org")
	assert.ErrorIs(t, err, boom)
	assert.False(t, ok)
}

func TestVerifyDKIMHeaderTooLong(t *testing.T) {
	z := newDKIMZone(t)
	msg := dkimSigned(t, dkimTestMessage, "example.org", "ed")
	long := strings.Repeat("X-Filler: "+strings.Repeat("x", 90)+"\r\n", maxDKIMHeader/100+1) + msg
	_, ok, err := runVerifyDKIM(t, z, long, "example.org")
	require.NoError(t, err)
	assert.False(t, ok)

	// A header of exactly maxDKIMHeader bytes, empty line included, is
	// verified, whole or read a byte at a time; one byte more is not.
	fill := maxDKIMHeader - (strings.Index(msg, "\r\n\r\n") + 4) - len("X-Filler: \r\n")
	at := "X-Filler: " + strings.Repeat("x", fill) + "\r\n" + msg
	for name, r := range map[string]io.Reader{
		"whole": strings.NewReader(at),
		"bytes": iotest.OneByteReader(strings.NewReader(at)),
	} {
		_, ok, err = verifyDKIM(context.Background(), z.LookupTXT, r, "example.org")
		require.NoError(t, err, name)
		assert.True(t, ok, name)
	}
	_, ok, err = runVerifyDKIM(t, z, "X-Filler: x"+at[len("X-Filler: "):], "example.org")
	require.NoError(t, err)
	assert.False(t, ok, "one byte over")
}

// dkimReader finds the end of the header however the bytes arrive.
func TestDKIMReaderHeaderEnd(t *testing.T) {
	tests := []struct {
		in        string
		headerLen int64 // with the empty line that ends it; -1: no end
	}{
		{"A: b\r\n\r\nbody", 8},
		{"A: b\n\nbody", 6},
		{"\r\nbody", 2},
		{"\nbody", 1},
		{"A: b\r\n c\r\n\r\n", 12},
		{"A: b\r\r\nC: d\r\n\r\n", 15},
		{"A: b\r\nC: d\r\n", -1},
	}
	for _, tt := range tests {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r },
			"bytes": iotest.OneByteReader,
		} {
			d := &dkimReader{ctx: context.Background(), r: wrap(strings.NewReader(tt.in)), atLineStart: true, headerLeft: 1000}
			out, err := io.ReadAll(d)
			require.NoError(t, err)
			assert.Equal(t, tt.in, string(out), "%q %s", tt.in, name)
			assert.Equal(t, tt.headerLen >= 0, d.headerDone, "%q %s", tt.in, name)
			if tt.headerLen >= 0 {
				assert.Equal(t, 1000-tt.headerLen, d.headerLeft, "%q %s", tt.in, name)
			}
		}
	}
}

// dkimBenchMessage is a 4 KB message signed with ed25519 by example.org.
func dkimBenchMessage(b *testing.B) []byte {
	body := strings.Repeat("The quick brown fox jumps over the lazy dog, 0123456789.\r\n", 4096/58)
	msg := dkimTestMessage + body
	signed := dkimSigned(b, msg, "example.org", "ed")
	b.SetBytes(int64(len(signed)))
	return []byte(signed)
}

// BenchmarkVerifyDKIM verifies one ed25519 signature on a 4 KB message
// from the zone resolver; compare BenchmarkVerifyDKIMBaseline.
func BenchmarkVerifyDKIM(b *testing.B) {
	z := newDKIMZone(b)
	msg := dkimBenchMessage(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := verifyDKIM(ctx, z.LookupTXT, bytes.NewReader(msg), "mail.example.org")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkVerifyDKIMBaseline is go-msgauth's Verify alone on the same
// message and resolver.
func BenchmarkVerifyDKIMBaseline(b *testing.B) {
	z := newDKIMZone(b)
	msg := dkimBenchMessage(b)
	ctx := context.Background()
	opts := &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return z.LookupTXT(ctx, name) },
		MaxVerifications: maxDKIMSignatures,
	}
	b.ReportAllocs()
	for b.Loop() {
		verifs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), opts)
		if err != nil || len(verifs) != 1 || verifs[0].Err != nil {
			b.Fatal(verifs, err)
		}
	}
}
