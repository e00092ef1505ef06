package postfixtest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// param is one main.cf line; main.cf is written in the order of the
// parameters, which keeps it readable next to postconf(5).
type param struct{ name, value string }

// mainCF renders main.cf for c, which withDefaults has checked.
func mainCF(c Config, l layout) string {
	users := make([]string, 0, len(c.Users)+1)
	for _, u := range append([]string{"postmaster"}, c.Users...) {
		users = append(users, "{"+u+"="+l.mailbox(u)+"}")
	}
	params := []param{
		{"compatibility_level", "3.6"},
		{"queue_directory", l.queue},
		{"data_directory", l.data},
		{"mail_spool_directory", l.spool},
		{"maillog_file", l.log},
		{"maillog_file_prefixes", l.root},
		{"inet_interfaces", "loopback-only"},
		{"inet_protocols", "ipv4"},
		{"mynetworks", "127.0.0.0/8"},
		{"myhostname", c.MyHostname},
		{"myorigin", "$myhostname"},
		{"mydestination", strings.Join(append([]string{"$myhostname", "localhost"}, c.Domains...), ", ")},
		// Accept every local part, so that local(8) bounces the unknown
		// ones after acceptance.
		{"local_recipient_maps", ""},
		// The known users, delivered to files. Mail for a system account
		// (root, daemon, …) lands in mail_spool_directory, still inside
		// the instance's directory.
		{"alias_maps", "inline:{ " + strings.Join(users, ", ") + " }"},
		{"alias_database", ""},
		{"biff", "no"},
		// Postfix needs no DNS: all outgoing mail goes to loopback.
		{"smtp_dns_support_level", "disabled"},
		{"queue_run_delay", "1s"},
		{"minimal_backoff_time", "2s"},
		{"maximal_backoff_time", "10s"},
		{"milter_default_action", c.MilterDefaultAction},
	}
	if c.Sink != "" {
		params = append(params, param{"relayhost", bracket(c.Sink)})
	} else {
		// error(8) as "retry" defers with this reason.
		params = append(params, param{"default_transport", "retry:no sink configured (postfixtest.Config.Sink)"})
	}
	if c.Relay != "" {
		// The key "<>" stands for the null sender
		// (empty_address_default_transport_maps_lookup_key).
		params = append(params, param{"sender_dependent_default_transport_maps", "inline:{ {<>=smtp:" + bracket(c.Relay) + "} }"})
	}
	if len(c.SMTPDMilters) > 0 {
		params = append(params, param{"smtpd_milters", strings.Join(c.SMTPDMilters, ", ")})
	}
	if len(c.NonSMTPDMilters) > 0 {
		params = append(params, param{"non_smtpd_milters", strings.Join(c.NonSMTPDMilters, ", ")})
	}
	if c.BounceQueueLifetime > 0 {
		params = append(params, param{"bounce_queue_lifetime", seconds(c.BounceQueueLifetime)})
	}
	if c.MaximalQueueLifetime > 0 {
		params = append(params, param{"maximal_queue_lifetime", seconds(c.MaximalQueueLifetime)})
	}
	for _, name := range slices.Sorted(maps.Keys(c.Extra)) {
		params = setParam(params, name, c.Extra[name])
	}
	var b strings.Builder
	b.WriteString("# Written by postfixtest for one test; see postconf(5).\n")
	for _, p := range params {
		fmt.Fprintf(&b, "%s = %s\n", p.name, p.value)
	}
	return b.String()
}

// masterCF renders master.cf: the services a receiving host needs, none
// chrooted (the instance's directory holds no chroot jail), smtpd on
// smtpPort of 127.0.0.1.
func masterCF(c Config, smtpPort int) string {
	var bounceOpts string
	if c.BounceMilter != "" {
		// bounce(8) posts its DSNs through bcleanup and asks it to
		// filter them (internal_mail_filter_classes); bcleanup alone
		// runs the bounce milter.
		bounceOpts = "\n  -o cleanup_service_name=bcleanup -o internal_mail_filter_classes=bounce"
	}
	var b strings.Builder
	b.WriteString("# Written by postfixtest for one test; see master(5).\n")
	fmt.Fprintf(&b, "127.0.0.1:%d inet n - n - - smtpd\n", smtpPort)
	b.WriteString(`pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce` + bounceOpts + `
defer unix - - n - 0 bounce` + bounceOpts + `
trace unix - - n - 0 bounce` + bounceOpts + `
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
smtp unix - - n - - smtp
relay unix - - n - - smtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`)
	if c.BounceMilter != "" {
		fmt.Fprintf(&b, "bcleanup unix n - n - 0 cleanup\n  -o non_smtpd_milters=%s\n", c.BounceMilter)
	}
	return b.String()
}

// setParam sets name to value, in place when params has it.
func setParam(params []param, name, value string) []param {
	for i := range params {
		if params[i].name == name {
			params[i].value = value
			return params
		}
	}
	return append(params, param{name, value})
}

// bracket writes ip:port as Postfix's [ip]:port, a next hop that is used
// as it is, without MX lookup.
func bracket(addrPort string) string {
	i := strings.LastIndexByte(addrPort, ':')
	return "[" + addrPort[:i] + "]" + addrPort[i:]
}

// seconds writes d in Postfix's time unit s, rounded up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) + "s"
}
