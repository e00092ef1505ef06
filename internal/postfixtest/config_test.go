package postfixtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Config values Postfix would misread, or that would take an instance
// off loopback or out of its directory, are refused naming the field.
func TestConfigRefused(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"host name with space", Config{MyHostname: "mx example"}, "MyHostname"},
		{"address literal domain", Config{Domains: []string{"[192.0.2.1]"}}, "Domains"},
		{"user with slash", Config{Users: []string{"../etc"}}, "Users"},
		{"user with comma", Config{Users: []string{"a,b"}}, "Users"},
		{"sink off loopback", Config{Sink: "192.0.2.1:25"}, "Sink"},
		{"sink by name", Config{Sink: "localhost:25"}, "Sink"},
		{"sink IPv6", Config{Sink: "[::1]:25"}, "Sink"},
		{"relay without port", Config{Relay: "127.0.0.1"}, "Relay"},
		{"milter list in one", Config{SMTPDMilters: []string{"inet:127.0.0.1:1, inet:127.0.0.1:2"}}, "milters"},
		{"empty milter", Config{NonSMTPDMilters: []string{""}}, "milters"},
		{"milter with brace", Config{BounceMilter: "inet:127.0.0.1:1}"}, "milters"},
		{"milter with newline", Config{BounceMilter: "inet:127.0.0.1:1\nqueue_directory=/"}, "milters"},
		{"unknown default action", Config{MilterDefaultAction: "discard"}, "MilterDefaultAction"},
		{"negative lifetime", Config{BounceQueueLifetime: -time.Second}, "BounceQueueLifetime"},
		{"negative max lifetime", Config{MaximalQueueLifetime: -time.Second}, "MaximalQueueLifetime"},
		{"bad parameter name", Config{Extra: map[string]string{"Queue Directory": "/"}}, "Extra"},
		{"reserved parameter", Config{Extra: map[string]string{"queue_directory": "/var/spool/postfix"}}, "Extra"},
		{"off loopback", Config{Extra: map[string]string{"inet_interfaces": "all"}}, "Extra"},
		{"line break in value", Config{Extra: map[string]string{"smtpd_banner": "x\ninet_interfaces = all"}}, "Extra[smtpd_banner]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.withDefaults()
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), ": "+tt.field+" ")
		})
	}
}

// The zero Config is a receiving host: local domains, unknown users
// accepted then bounced, outgoing mail held for want of a sink, DNS off.
func TestZeroConfig(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	require.NoError(t, err)
	main := mainCF(cfg, newLayout("/tmp/x"))
	for _, line := range []string{
		"myhostname = mx.hosted.example\n",
		"mydestination = $myhostname, localhost, hosted.example\n",
		"local_recipient_maps = \n",
		"alias_maps = inline:{ {postmaster=/tmp/x/mail/postmaster}, {user=/tmp/x/mail/user} }\n",
		"default_transport = retry:",
		"smtp_dns_support_level = disabled\n",
		"inet_interfaces = loopback-only\n",
		"milter_default_action = tempfail\n",
	} {
		assert.Contains(t, main, line)
	}
	for _, absent := range []string{"relayhost", "smtpd_milters", "queue_lifetime", "sender_dependent"} {
		assert.NotContains(t, main, absent)
	}
	master := masterCF(cfg, 2525)
	assert.True(t, strings.HasPrefix(strings.SplitN(master, "\n", 3)[1], "127.0.0.1:2525 inet n - n - - smtpd"), master)
	assert.NotContains(t, master, "bcleanup")
}

// The fields become the main.cf and master.cf settings Postfix documents
// for them (postconf(5), master(5)); Extra overrides in place.
func TestConfigRendered(t *testing.T) {
	cfg, err := Config{
		Sink:                 "127.0.0.1:2500",
		Relay:                "127.0.0.2:2501",
		SMTPDMilters:         []string{"inet:127.0.0.1:1", "unix:/run/m"},
		NonSMTPDMilters:      []string{"inet:127.0.0.1:2"},
		BounceMilter:         "inet:127.0.0.1:3",
		BounceQueueLifetime:  1500 * time.Millisecond,
		MaximalQueueLifetime: time.Minute,
		Extra:                map[string]string{"queue_run_delay": "5s", "smtpd_banner": "$myhostname ESMTP"},
	}.withDefaults()
	require.NoError(t, err)
	main := mainCF(cfg, newLayout("/tmp/x"))
	for _, line := range []string{
		"relayhost = [127.0.0.1]:2500\n",
		"sender_dependent_default_transport_maps = inline:{ {<>=smtp:[127.0.0.2]:2501} }\n",
		"smtpd_milters = inet:127.0.0.1:1, unix:/run/m\n",
		"non_smtpd_milters = inet:127.0.0.1:2\n",
		"bounce_queue_lifetime = 2s\n",
		"maximal_queue_lifetime = 60s\n",
		"queue_run_delay = 5s\nminimal_backoff_time", // overridden where it stood
		"smtpd_banner = $myhostname ESMTP\n",
	} {
		assert.Contains(t, main, line)
	}
	assert.NotContains(t, main, "default_transport = retry")
	assert.Equal(t, 1, strings.Count(main, "queue_run_delay"))

	master := masterCF(cfg, 2525)
	for _, service := range []string{"bounce", "defer", "trace"} {
		assert.Contains(t, master, "\n"+service+" unix - - n - 0 bounce\n  -o cleanup_service_name=bcleanup -o internal_mail_filter_classes=bounce\n")
	}
	assert.Contains(t, master, "\nbcleanup unix n - n - 0 cleanup\n  -o non_smtpd_milters=inet:127.0.0.1:3\n")
}
