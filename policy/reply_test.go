package policy

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeStore is a Store on a clock of its own, with failure injection: it
// counts the claims made, and fails them all while err is set.
type fakeStore struct {
	mu     sync.Mutex
	now    time.Time
	claims map[string]time.Time // key: expiry
	calls  int
	err    error
}

func newFakeStore() *fakeStore {
	return &fakeStore{now: testNow, claims: map[string]time.Time{}}
}

func (s *fakeStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return false, s.err
	}
	if exp, ok := s.claims[key]; ok && s.now.Before(exp) {
		return false, nil
	}
	s.claims[key] = s.now.Add(ttl)
	return true, nil
}

func (s *fakeStore) Count(context.Context, string, time.Duration) (int64, error) {
	return 0, errors.New("fakeStore: no counters")
}

func (s *fakeStore) Take(context.Context, string) (int64, error) {
	return 0, errors.New("fakeStore: no counters")
}

// advance moves the store's clock on.
func (s *fakeStore) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

// replyPolicy is testPolicy around checker, remembering replies in store.
func replyPolicy(checker SPFChecker, store Store) *Policy {
	p := testPolicy(checker)
	p.Store = store
	return p
}

// replyMessage is originalMessage with extra header fields on top.
func replyMessage(fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f + "\r\n")
	}
	return b.String() + originalMessage
}

// testReplyEvent is originalMessage, from alice (SPF pass recorded) to
// bob, who is away.
func testReplyEvent() ReplyEvent {
	return ReplyEvent{
		ReturnPath: "alice@example.org",
		ClientIP:   netip.MustParseAddr("192.0.2.10"),
		HELO:       "mail.example.org",
		ReceivedAt: receivedAt,
		SPF:        spf.Pass,
		Addresses:  []string{"bob@hosted.example", "robert@hosted.example"},
		Text:       "I am away until Monday.\nYour mail will be read then.\n",
		Original:   OriginalBytes([]byte(originalMessage)),
	}
}

// decideReply decides ev on a fresh store with an SPF checker answering r.
func decideReply(t *testing.T, ev ReplyEvent, r spf.Result) (ReplyDecision, *fakeStore) {
	t.Helper()
	store := newFakeStore()
	d, err := replyPolicy(&fakeChecker{result: r}, store).DecideReply(context.Background(), ev)
	require.NoError(t, err)
	return d, store
}

// TestDecideReplyRules: every rule, each with a case that fires and one
// that does not; a rule that refuses never reaches the store.
func TestDecideReplyRules(t *testing.T) {
	withOriginal := func(msg string) func(*ReplyEvent) {
		return func(ev *ReplyEvent) { ev.Original = OriginalBytes([]byte(msg)) }
	}
	returnPath := func(rp string) func(*ReplyEvent) {
		return func(ev *ReplyEvent) { ev.ReturnPath = rp }
	}
	recorded := func(r spf.Result) func(*ReplyEvent) {
		return func(ev *ReplyEvent) { ev.SPF = r }
	}
	unsent := func(to string) string {
		return strings.Replace(originalMessage, "To: bob@hosted.example\r\n", to, 1)
	}
	for _, tt := range []struct {
		name   string
		edit   func(*ReplyEvent)
		action ReplyAction
		reason ReplyReason
	}{
		{"a genuine colleague", nil, SendReply, ReplySPFPass},

		// Rule 1: RFC 3834 §2.
		{"null sender", returnPath(""), NoReply, ReplyNullSender},
		{"null sender in brackets", returnPath("<>"), NoReply, ReplyNullSender},
		{"a sender in brackets", returnPath("<alice@example.org>"), SendReply, ReplySPFPass},

		// Rule 2: RFC 5230 §4.6.
		{"MAILER-DAEMON", returnPath("MAILER-DAEMON@example.org"), NoReply, ReplySystemSender},
		{"listserv", returnPath("LISTSERV@example.org"), NoReply, ReplySystemSender},
		{"majordomo", returnPath("majordomo@example.org"), NoReply, ReplySystemSender},
		{"postmaster", returnPath("Postmaster@example.org"), NoReply, ReplySystemSender},
		{"owner-*", returnPath("owner-staff@example.org"), NoReply, ReplySystemSender},
		{"*-request", returnPath("staff-request@example.org"), NoReply, ReplySystemSender},
		{"*-request+tag", returnPath("staff-request+bob=hosted.example@example.org"), NoReply, ReplySystemSender},
		{"owner, a person", returnPath("owner@example.org"), SendReply, ReplySPFPass},
		{"daemon, a person", returnPath("daemon@example.org"), SendReply, ReplySPFPass},
		{"requests, a person", returnPath("requests@example.org"), SendReply, ReplySPFPass},

		// Rule 3.
		{"the user's own address", returnPath("Bob@Hosted.Example"), NoReply, ReplyOwnAddress},
		{"an alias of the user's", returnPath("robert@hosted.example"), NoReply, ReplyOwnAddress},
		{"the reply's own sender", func(ev *ReplyEvent) {
			ev.MailFrom = "vacation@hosted.example"
			ev.ReturnPath = "vacation@hosted.example"
		}, NoReply, ReplyOwnAddress},
		{"a colleague with a reply sender", func(ev *ReplyEvent) { ev.MailFrom = "vacation@hosted.example" }, SendReply, ReplySPFPass},

		// Rule 4: RFC 3834 §5.
		{"auto-replied", withOriginal(replyMessage("Auto-Submitted: auto-replied")), NoReply, ReplyAutoSubmitted},
		{"auto-generated with a comment", withOriginal(replyMessage("Auto-Submitted: (robot) auto-generated")), NoReply, ReplyAutoSubmitted},
		{"a report", withOriginal(replyMessage("Content-Type: multipart/report; report-type=delivery-status; boundary=x")), NoReply, ReplyAutoSubmitted},
		{"Auto-Submitted: no", withOriginal(replyMessage("Auto-Submitted: No (a person)")), SendReply, ReplySPFPass},

		// Rule 5.
		{"precedence bulk", withOriginal(replyMessage("Precedence: bulk")), NoReply, ReplyPrecedence},
		{"precedence junk", withOriginal(replyMessage("precedence: JUNK")), NoReply, ReplyPrecedence},
		{"precedence list with a comment", withOriginal(replyMessage("Precedence: list (a list)")), NoReply, ReplyPrecedence},
		{"precedence too long to read", withOriginal(replyMessage("Precedence: " + strings.Repeat("x", maxFieldLen))), NoReply, ReplyPrecedence},
		{"precedence first-class", withOriginal(replyMessage("Precedence: first-class")), SendReply, ReplySPFPass},

		// Rule 6: RFC 2369, RFC 2919.
		{"List-Id", withOriginal(replyMessage("List-Id: Staff <staff.example.org>")), NoReply, ReplyList},
		{"List-Id folded", withOriginal(replyMessage("List-ID:\r\n\tStaff\r\n <staff.example.org>")), NoReply, ReplyList},
		{"List-Unsubscribe", withOriginal(replyMessage("list-unsubscribe: <mailto:staff-request@example.org>")), NoReply, ReplyList},
		{"List-Unsubscribe-Post", withOriginal(replyMessage("List-Unsubscribe-Post: List-Unsubscribe=One-Click")), NoReply, ReplyList},
		{"Listing, no list field", withOriginal(replyMessage("Listing: 3")), SendReply, ReplySPFPass},
		{"List in the body only", withOriginal(originalMessage + "List-Id: <staff.example.org>\r\n"), SendReply, ReplySPFPass},

		// Rule 7: RFC 5230 §4.5.
		{"to someone else", withOriginal(unsent("To: carol@hosted.example\r\n")), NoReply, ReplyNotAddressed},
		{"the user in a display name only", withOriginal(unsent("To: \"bob@hosted.example\" <carol@hosted.example>\r\n")), NoReply, ReplyNotAddressed},
		{"the user in a comment only", withOriginal(unsent("To: carol@hosted.example (bob@hosted.example)\r\n")), NoReply, ReplyNotAddressed},
		{"a longer address", withOriginal(unsent("To: xbob@hosted.example\r\n")), NoReply, ReplyNotAddressed},
		{"no To at all", withOriginal(unsent("")), NoReply, ReplyNotAddressed},
		{"To too long to read", withOriginal(unsent("To: " + strings.Repeat("carol@hosted.example, ", maxFieldLen/20) + "bob@hosted.example\r\n")), NoReply, ReplyNotAddressed},
		{"Cc", withOriginal(unsent("To: carol@hosted.example\r\nCc: Bob <bob@hosted.example>\r\n")), SendReply, ReplySPFPass},
		{"Bcc", withOriginal(unsent("Bcc: bob@hosted.example\r\n")), SendReply, ReplySPFPass},
		{"Resent-To", withOriginal(unsent("Resent-To: bob@hosted.example\r\n")), SendReply, ReplySPFPass},
		{"Resent-Cc", withOriginal(unsent("Resent-Cc: bob@hosted.example\r\n")), SendReply, ReplySPFPass},
		{"an alias, another case", withOriginal(unsent("To: Robert <ROBERT@hosted.example>\r\n")), SendReply, ReplySPFPass},
		{"in a group", withOriginal(unsent("To: staff: carol@hosted.example, bob@hosted.example;\r\n")), SendReply, ReplySPFPass},
		{"a display name in an unknown charset", withOriginal(unsent("To: =?x-unknown?q?B=F6b?= <bob@hosted.example>\r\n")), SendReply, ReplySPFPass},
		{"a list net/mail refuses, read by element", withOriginal(unsent("To: carol@hosted.example,, Bob <bob@hosted.example>,\r\n")), SendReply, ReplySPFPass},

		// Rule 8: the SPF gate of Decide.
		{"authenticated", func(ev *ReplyEvent) { ev.SPF, ev.Authenticated = spf.Fail, true }, SendReply, ReplyTrustedSender},
		{"spf fail", recorded(spf.Fail), NoReply, ReplySPFFail},
		{"spf softfail", recorded(spf.SoftFail), NoReply, ReplySPFSoftFail},
		{"spf none", recorded(spf.None), NoReply, ReplySPFNone},
		{"spf neutral, like none", recorded(spf.Neutral), NoReply, ReplySPFNeutral},
		{"spf permerror", recorded(spf.PermError), NoReply, ReplySPFPermError},
		{"spf evaluated now: pass", recorded(""), SendReply, ReplySPFPass},
		{"spf temperror evaluated again: pass", recorded(spf.TempError), SendReply, ReplySPFPass},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := testReplyEvent()
			if tt.edit != nil {
				tt.edit(&ev)
			}
			d, store := decideReply(t, ev, spf.Pass)
			assert.Equal(t, tt.action, d.Action, d.String())
			assert.Equal(t, tt.reason, d.Reason, d.String())
			if tt.action == SendReply {
				require.NotNil(t, d.Reply)
				assert.Equal(t, 1, store.calls)
				return
			}
			assert.Nil(t, d.Reply)
			assert.Zero(t, store.calls, "a refused reply claims nothing")
		})
	}
}

// RFC 7208 §2.6.7: temperror defers within the defer window of receipt,
// and gives up past it, never replying blind.
func TestDecideReplySPFTempError(t *testing.T) {
	ev := testReplyEvent()
	ev.SPF = ""
	d, store := decideReply(t, ev, spf.TempError)
	assert.Equal(t, DeferReply, d.Action)
	assert.Equal(t, ReplySPFTempError, d.Reason)
	assert.Equal(t, SourceEvaluated, d.SPFSource)
	assert.Equal(t, testNow.Add(DefaultRetryAfter), d.RetryAt)
	assert.Zero(t, store.calls)

	ev.ReceivedAt = testNow.Add(-DefaultDeferFor)
	d, _ = decideReply(t, ev, spf.TempError)
	assert.Equal(t, NoReply, d.Action)
	assert.Equal(t, ReplySPFTempErrorExpired, d.Reason)
	assert.True(t, d.RetryAt.IsZero())

	// Policy.Fallback is for bounces: past the window, still no reply.
	p := replyPolicy(&fakeChecker{result: spf.TempError}, newFakeStore())
	p.Fallback = Bounce
	d, err := p.DecideReply(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, NoReply, d.Action)
}

// With Authenticate dkim, an aligned signature shows the sender genuine
// where SPF does not, as for bounces.
func TestDecideReplyDKIM(t *testing.T) {
	z := newDKIMZone(t)
	p := replyPolicy(&fakeChecker{result: spf.Fail}, newFakeStore())
	p.Authenticate, p.Resolver = []AuthMethod{AuthSPF, AuthDKIM}, z
	ev := testReplyEvent()
	ev.SPF = ""
	ev.Original = OriginalBytes([]byte(dkimSigned(t, dkimTestMessage, "example.org", "ed")))
	d, err := p.DecideReply(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, SendReply, d.Action, d.String())
	assert.Equal(t, ReplyDKIMPass, d.Reason)

	ev.Original = OriginalBytes([]byte(dkimTestMessage))
	d, err = p.DecideReply(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, NoReply, d.Action)
	assert.Equal(t, ReplySPFFail, d.Reason)
}

// RFC 5230 §4.2: at most one reply per sender per days, for the user and
// the handle; the period runs on the store's clock.
func TestDecideReplyOncePerDays(t *testing.T) {
	store := newFakeStore()
	p := replyPolicy(nil, store)
	decide := func(ev ReplyEvent) ReplyDecision {
		t.Helper()
		d, err := p.DecideReply(context.Background(), ev)
		require.NoError(t, err)
		return d
	}
	ev := testReplyEvent()
	assert.Equal(t, SendReply, decide(ev).Action)
	d := decide(ev)
	assert.Equal(t, NoReply, d.Action)
	assert.Equal(t, ReplyAlreadyReplied, d.Reason)
	assert.Equal(t, spf.Pass, d.SPF.Result, "the gate was passed first")
	assert.Nil(t, d.Reply)

	upper := ev
	upper.ReturnPath = "ALICE@example.org"
	assert.Equal(t, ReplyAlreadyReplied, decide(upper).Reason, "the sender in another case")

	other := ev
	other.ReturnPath = "carol@example.org"
	assert.Equal(t, SendReply, decide(other).Action, "another sender")
	handle := ev
	handle.Handle = "conference"
	assert.Equal(t, SendReply, decide(handle).Action, "another handle")
	text := ev
	text.Text = "I am at a conference."
	assert.Equal(t, SendReply, decide(text).Action, "another text, no handle (RFC 5230 §4.2)")
	user := ev
	user.Addresses = []string{"robert@hosted.example", "bob@hosted.example"}
	assert.Equal(t, SendReply, decide(user).Action, "another user")

	store.advance(DefaultReplyDays*24*time.Hour - time.Second)
	assert.Equal(t, ReplyAlreadyReplied, decide(ev).Reason, "within 7 days")
	store.advance(time.Second)
	assert.Equal(t, SendReply, decide(ev).Action, "7 days on")

	ev.Days, ev.Handle = 1, "one day"
	assert.Equal(t, SendReply, decide(ev).Action)
	store.advance(24*time.Hour - time.Second)
	assert.Equal(t, ReplyAlreadyReplied, decide(ev).Reason)
	store.advance(time.Second)
	assert.Equal(t, SendReply, decide(ev).Action, "a day on, with days 1")
}

// A store that cannot answer defers the reply: never one decided blind.
func TestDecideReplyStoreFailure(t *testing.T) {
	store := newFakeStore()
	store.err = errors.New("connection refused")
	p := replyPolicy(nil, store)
	d, err := p.DecideReply(context.Background(), testReplyEvent())
	require.NoError(t, err)
	assert.Equal(t, DeferReply, d.Action)
	assert.Equal(t, ReplyStoreUnavailable, d.Reason)
	assert.Equal(t, testNow.Add(DefaultRetryAfter), d.RetryAt)
	assert.Nil(t, d.Reply)

	store.err = nil
	d, err = p.DecideReply(context.Background(), testReplyEvent())
	require.NoError(t, err)
	assert.Equal(t, SendReply, d.Action, "once the store is back")
}

// The default store is an in-process MemoryStore: the zero Policy
// remembers its replies.
func TestDecideReplyDefaultStore(t *testing.T) {
	p := testPolicy(nil)
	ev := testReplyEvent()
	d, err := p.DecideReply(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, SendReply, d.Action)
	d, err = p.DecideReply(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, ReplyAlreadyReplied, d.Reason)
}

// Without Text the caller composes the reply: the decision holds none.
func TestDecideReplyNoText(t *testing.T) {
	ev := testReplyEvent()
	ev.Text = ""
	d, _ := decideReply(t, ev, spf.Pass)
	assert.Equal(t, SendReply, d.Action)
	assert.Nil(t, d.Reply)
}

// A cancelled context is an error, never a verdict.
func TestDecideReplyContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := replyPolicy(nil, newFakeStore()).DecideReply(ctx, testReplyEvent())
	assert.ErrorIs(t, err, context.Canceled)
}

// ReplyEvent.Validate names the field at fault as the JSON does.
func TestReplyEventValidate(t *testing.T) {
	for _, tt := range []struct {
		field string
		edit  func(*ReplyEvent)
	}{
		{"return_path", func(ev *ReplyEvent) { ev.ReturnPath = "no-domain" }},
		{"return_path", func(ev *ReplyEvent) { ev.ReturnPath = "élodie@exemple.fr" }},
		{"client_ip", func(ev *ReplyEvent) { ev.ClientIP = netip.MustParseAddr("fe80::1%eth0") }},
		{"helo", func(ev *ReplyEvent) { ev.HELO = "bad helo" }},
		{"spf", func(ev *ReplyEvent) { ev.SPF = "PASS" }},
		{"addresses", func(ev *ReplyEvent) { ev.Addresses = nil }},
		{"addresses", func(ev *ReplyEvent) { ev.Addresses = make([]string, maxReplyAddresses+1) }},
		{"addresses[1]", func(ev *ReplyEvent) { ev.Addresses[1] = "bob\r\nBcc: x@y" }},
		{"handle", func(ev *ReplyEvent) { ev.Handle = "a\nb" }},
		{"handle", func(ev *ReplyEvent) { ev.Handle = strings.Repeat("h", maxHandleLen+1) }},
		{"days", func(ev *ReplyEvent) { ev.Days = -1 }},
		{"days", func(ev *ReplyEvent) { ev.Days = MaxReplyDays + 1 }},
		{"mail_from", func(ev *ReplyEvent) { ev.MailFrom = "<>" }},
		{"subject", func(ev *ReplyEvent) { ev.Subject = "Away\r\nBcc: eve@example.net" }},
		{"subject", func(ev *ReplyEvent) { ev.Subject = "\xff" }},
		{"subject", func(ev *ReplyEvent) { ev.Subject = strings.Repeat("s", maxReplySubject+1) }},
		{"text", func(ev *ReplyEvent) { ev.Text = "a\x00b" }},
		{"text", func(ev *ReplyEvent) { ev.Text = "\xff" }},
		{"text", func(ev *ReplyEvent) { ev.Text = strings.Repeat("t", maxReplyText+1) }},
		{"message", func(ev *ReplyEvent) { ev.Original = nil }},
	} {
		ev := testReplyEvent()
		tt.edit(&ev)
		err := ev.Validate()
		var fe *dsn.FieldError
		require.ErrorAs(t, err, &fe, tt.field)
		assert.Equal(t, tt.field, fe.Field, err.Error())
		assert.ErrorIs(t, err, ErrInvalidEvent)
		_, err = replyPolicy(nil, newFakeStore()).DecideReply(context.Background(), ev)
		assert.ErrorIs(t, err, ErrInvalidEvent)
	}
	ok := testReplyEvent()
	ok.Days, ok.Subject, ok.MailFrom = MaxReplyDays, "Abwesend: Grüße", "vacation@hosted.example"
	require.NoError(t, ok.Validate())
	utf8 := testReplyEvent()
	utf8.SMTPUTF8, utf8.ReturnPath, utf8.Addresses = true, "élodie@exemple.fr", []string{"用户@例子.广告"}
	require.NoError(t, utf8.Validate())
}
