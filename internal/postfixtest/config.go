package postfixtest

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
	"github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"
)

// Defaults for the Config fields left empty.
const (
	DefaultHostname            = "mx.hosted.example"
	DefaultDomain              = "hosted.example"
	DefaultUser                = "user"
	DefaultMilterDefaultAction = "tempfail"
)

// ErrInvalidConfig is wrapped by the error that names the Config field at
// fault and the rule it breaks.
var ErrInvalidConfig = errors.New("postfixtest: invalid config")

// Config describes an instance. Its zero value is useful: a host named
// mx.hosted.example, local domain hosted.example, one local user "user",
// no milters, and outgoing mail held in the queue for want of a sink.
type Config struct {
	// MyHostname is the instance's host name (myhostname), the name in
	// its greeting, its Received fields and its DSNs' Reporting-MTA, and a
	// local domain. Default DefaultHostname.
	MyHostname string

	// Domains are the other local domains (mydestination). Default
	// {DefaultDomain}.
	Domains []string

	// Users are the local users whose mail is delivered, to the mailbox
	// files Instance.Mailbox reads; "postmaster" always is one. Mail for
	// any other user at a local domain is accepted and then bounced by
	// local(8) as "unknown user" (5.1.1), as a qmail host does. Names of
	// letters, digits, '.', '-' and '_'. Default {DefaultUser}.
	Users []string

	// Sink is the IPv4 loopback address (ip:port) of the SMTP server that every
	// outgoing message goes to, the DSNs included: the senders' MX hosts.
	// Empty: outgoing mail stays deferred in the queue.
	Sink string

	// Relay is the IPv4 loopback address (ip:port) of the SMTP gate that mail
	// with the null reverse path (the DSNs) goes to instead of Sink
	// (sender_dependent_default_transport_maps, key "<>"). Empty: none.
	Relay string

	// SMTPDMilters and NonSMTPDMilters are the smtpd_milters and
	// non_smtpd_milters, in Postfix's notation: "inet:127.0.0.1:PORT" or
	// "unix:/path".
	SMTPDMilters    []string
	NonSMTPDMilters []string

	// BounceMilter, when set, is a milter applied to the DSNs bounce(8)
	// writes, and to nothing else: bounce(8) hands its mail to a cleanup
	// service of its own whose non_smtpd_milters is this one
	// (internal_mail_filter_classes = bounce).
	BounceMilter string

	// MilterDefaultAction is what Postfix does when a milter fails:
	// accept, reject, tempfail or quarantine. Default
	// DefaultMilterDefaultAction.
	MilterDefaultAction string

	// BounceQueueLifetime and MaximalQueueLifetime bound the retries of
	// DSNs and of other mail, in whole seconds (rounded up). Zero leaves
	// Postfix's default of five days; set "0" in Extra for no retries.
	BounceQueueLifetime  time.Duration
	MaximalQueueLifetime time.Duration

	// Extra sets or overrides main.cf parameters. The parameters that
	// keep the instance in its directory and on loopback cannot be
	// overridden.
	Extra map[string]string
}

// reserved are the main.cf parameters Extra may not touch: the ones that
// keep an instance inside its directory and on loopback.
var reserved = map[string]bool{
	"config_directory":      true,
	"queue_directory":       true,
	"data_directory":        true,
	"mail_spool_directory":  true,
	"maillog_file":          true,
	"maillog_file_prefixes": true,
	"inet_interfaces":       true,
	"inet_protocols":        true,
	"alias_maps":            true,
	"mail_owner":            true,
	"setgid_group":          true,
}

var (
	userName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	paramName = regexp.MustCompile(`^[a-z0-9_]+$`)
)

var milterActions = []string{"accept", "reject", "tempfail", "quarantine"}

// withDefaults returns c with its empty fields set to their defaults, or
// an error naming the first field that Postfix would misread.
func (c Config) withDefaults() (Config, error) {
	if c.MyHostname == "" {
		c.MyHostname = DefaultHostname
	}
	if c.Domains == nil {
		c.Domains = []string{DefaultDomain}
	}
	if c.Users == nil {
		c.Users = []string{DefaultUser}
	}
	if c.MilterDefaultAction == "" {
		c.MilterDefaultAction = DefaultMilterDefaultAction
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if err := smtpsyntax.CheckHostname(c.MyHostname); err != nil {
		return invalid("MyHostname", c.MyHostname, err)
	}
	for _, d := range c.Domains {
		if err := smtpsyntax.CheckHostname(d); err != nil {
			return invalid("Domains", d, err)
		}
	}
	for _, u := range c.Users {
		// The name is a map key in main.cf and a file name.
		if !userName.MatchString(u) {
			return invalid("Users", u, errors.New("want lower-case letters, digits, '.', '-' and '_'"))
		}
	}
	for field, addr := range map[string]string{"Sink": c.Sink, "Relay": c.Relay} {
		if addr == "" {
			continue
		}
		if ap, err := netip.ParseAddrPort(addr); err != nil || !ap.Addr().Is4() || !ap.Addr().IsLoopback() {
			// inet_protocols = ipv4; and tests send to loopback only.
			return invalid(field, addr, errors.New("want an IPv4 loopback ip:port such as 127.0.0.1:2525"))
		}
	}
	milters := append(append([]string{c.BounceMilter}, c.SMTPDMilters...), c.NonSMTPDMilters...)
	for i, m := range milters {
		if i == 0 && m == "" {
			continue
		}
		// main.cf splits lists at white space and commas (postconf(5)).
		if m == "" || strings.ContainsAny(m, " \t,{}") || mailsyntax.IndexControl(m) >= 0 {
			return invalid("milters", m, errors.New("want one milter address such as inet:127.0.0.1:PORT, without spaces, commas or braces"))
		}
	}
	if !slices.Contains(milterActions, c.MilterDefaultAction) {
		return invalid("MilterDefaultAction", c.MilterDefaultAction, fmt.Errorf("want one of %s", strings.Join(milterActions, ", ")))
	}
	if c.BounceQueueLifetime < 0 {
		return invalid("BounceQueueLifetime", c.BounceQueueLifetime.String(), errors.New("negative"))
	}
	if c.MaximalQueueLifetime < 0 {
		return invalid("MaximalQueueLifetime", c.MaximalQueueLifetime.String(), errors.New("negative"))
	}
	for k, v := range c.Extra {
		switch {
		case !paramName.MatchString(k):
			return invalid("Extra", k, errors.New("not a main.cf parameter name"))
		case reserved[k]:
			return invalid("Extra", k, errors.New("set by the instance itself"))
		}
		// A line break would start another parameter (postconf(5)).
		if err := mailsyntax.CheckControls(v, "one main.cf line"); err != nil {
			return invalid("Extra["+k+"]", v, err)
		}
	}
	return nil
}

func invalid(field, value string, err error) error {
	return fmt.Errorf("%w: %s %q: %w", ErrInvalidConfig, field, value, err)
}
