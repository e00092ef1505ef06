package resolver

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where System and a Network without Servers find the
// system's recursive servers.
const resolvConf = "/etc/resolv.conf"

// System returns a Network configured as /etc/resolv.conf says
// (resolv.conf(5)): its nameservers, or the local server (127.0.0.1 and ::1)
// when it lists none or does not exist; each query sent "attempts:" times,
// each waiting "timeout:" seconds.
func System() (*Network, error) {
	return system(resolvConf)
}

// system reads the resolv.conf file at path.
func system(path string) (*Network, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cfg = &dns.ClientConfig{Port: "53", Timeout: 5, Attempts: defaultAttempts}
	case err != nil:
		return nil, fmt.Errorf("resolver: reading %s: %w", path, err)
	}
	if len(cfg.Servers) == 0 {
		cfg.Servers = []string{"127.0.0.1", "::1"} // resolv.conf(5)
	}
	// resolv.conf(5) caps timeout: at 30 seconds and attempts: at 5.
	attempts := min(max(cfg.Attempts, 1), 5)
	r := &Network{
		Timeout:  time.Duration(attempts*min(max(cfg.Timeout, 1), 30)) * time.Second,
		Attempts: attempts,
	}
	for _, s := range cfg.Servers {
		r.Servers = append(r.Servers, net.JoinHostPort(s, cfg.Port))
	}
	return r, nil
}
