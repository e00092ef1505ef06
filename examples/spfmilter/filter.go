package main

import (
	"log/slog"

	"github.com/d--j/go-milter"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/dnsflag"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// filter is what every session shares: the settings, the SPF checker
// (safe for concurrent use, its DNS answers cached for their TTLs) and
// the log. Each MTA connection gets a session of its own.
type filter struct {
	cfg     config
	checker *spf.Checker
	log     *slog.Logger
}

// newFilter makes the filter cfg describes. DNS goes to the -dns server or
// the system's resolvers, behind a cache, or answers from the -zone file.
func newFilter(cfg config, log *slog.Logger) (*filter, error) {
	r, err := dnsflag.NewCached(cfg.dnsAddr, cfg.zoneFile)
	if err != nil {
		return nil, err
	}
	return newFilterWith(cfg, r, log), nil
}

// newFilterWith makes the filter cfg describes, asking r for DNS.
func newFilterWith(cfg config, r spf.Resolver, log *slog.Logger) *filter {
	return &filter{
		cfg: cfg,
		// Receiver is the %{r} macro of explanations (RFC 7208 §7.2).
		checker: &spf.Checker{Resolver: r, Timeout: cfg.timeout, Receiver: cfg.authservID},
		log:     log,
	}
}

// protocol leaves out the events the filter has no use for: recipients,
// the DATA command, unknown commands, the end of the header and the body.
const protocol = milter.OptNoRcptTo | milter.OptNoData | milter.OptNoUnknown | milter.OptNoEOH | milter.OptNoBody

// newServer returns a milter server that gives each connection a session.
func (f *filter) newServer() *milter.Server {
	return milter.NewServer(
		milter.WithMilter(func() milter.Milter { return &session{f: f} }),
		milter.WithProtocol(protocol),
		// Deleting a field is a change (SMFIF_CHGHDRS); inserting one at
		// the top needs either action, and Postfix grants both.
		milter.WithAction(milter.OptAddHeader|milter.OptChangeHeader),
		// The queue ID, for the log only: a missing macro is "".
		milter.WithMacroRequest(milter.StageEOM, []milter.MacroName{milter.MacroQueueId}),
	)
}
