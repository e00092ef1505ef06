package dsn

import "github.com/bouncepolicy/bouncepolicy/internal/smtpsyntax"

// checkMailbox is smtpsyntax.CheckMailbox for field.
func checkMailbox(field, s string, utf8OK bool) error {
	return inRule(field, smtpsyntax.CheckMailbox(s, utf8OK))
}

// checkHost checks a host name (smtpsyntax.CheckHostname) for field, or
// with literal a domain, address literals allowed (smtpsyntax.CheckDomain).
func checkHost(field, s string, literal bool) error {
	if literal {
		return inRule(field, smtpsyntax.CheckDomain(s))
	}
	return inRule(field, smtpsyntax.CheckHostname(s))
}
