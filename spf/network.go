package spf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where SystemResolver and a NetworkResolver without Servers
// find the system's recursive servers.
const resolvConf = "/etc/resolv.conf"

// defaultQueryTimeout bounds one query to one server when
// NetworkResolver.Timeout is zero.
const defaultQueryTimeout = 2 * time.Second

// A NetworkResolver sends queries, with recursion desired, to recursive DNS
// servers: over UDP with EDNS0, retried over TCP when the answer is
// truncated. It accepts only an answer whose ID and question match the
// query, follows the CNAME chain the answer carries, tries the servers in
// order until one answers (NXDOMAIN and "no data" are answers; SERVFAIL,
// REFUSED and silence are not), and stops at once when the context is
// done. Names may hold any octet, as such or in RFC 1035 escapes (\032).
// The zero value uses the servers of /etc/resolv.conf, read at each
// lookup. It is safe for concurrent use.
type NetworkResolver struct {
	// Servers are the recursive servers' addresses, as host:port.
	Servers []string
	// Timeout bounds each query to one server; zero means 2 seconds.
	Timeout time.Duration
}

// SystemResolver returns a NetworkResolver using the servers listed in
// /etc/resolv.conf.
func SystemResolver() (*NetworkResolver, error) {
	servers, err := systemServers()
	if err != nil {
		return nil, err
	}
	return &NetworkResolver{Servers: servers}, nil
}

// systemServers reads the nameserver lines of /etc/resolv.conf.
func systemServers() ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, fmt.Errorf("spf: reading %s: %w", resolvConf, err)
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("spf: %s lists no nameserver", resolvConf)
	}
	servers := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		servers[i] = net.JoinHostPort(s, cfg.Port)
	}
	return servers, nil
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (r *NetworkResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := r.lookup(ctx, lookupQuery{queryTXT, name})
	return a.txt, err
}

// LookupMX returns the MX records of name, sorted by preference.
func (r *NetworkResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := r.lookup(ctx, lookupQuery{queryMX, name})
	return a.mx, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (r *NetworkResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	a, err := r.lookup(ctx, lookupQuery{queryIP, host})
	return a.ips, err
}

// LookupAddr returns the names an address maps to (its PTR records).
func (r *NetworkResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := r.lookup(ctx, lookupQuery{queryPTR, addr})
	return a.names, err
}

// lookup implements ttlResolver.
func (r *NetworkResolver) lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	servers := r.Servers
	if len(servers) == 0 {
		var err error
		if servers, err = systemServers(); err != nil {
			return lookupAnswer{}, errTemporary(q.name, err.Error())
		}
	}
	return lookupWith(ctx, q, func(ctx context.Context, name string, qtype uint16) (rrset, error) {
		return r.resolve(ctx, servers, name, qtype)
	}, true)
}

// resolve asks the servers in turn until one gives a usable answer.
func (r *NetworkResolver) resolve(ctx context.Context, servers []string, name string, qtype uint16) (rrset, error) {
	if _, ok := dns.IsDomainName(name); !ok {
		// No such name can exist (RFC 1035 §2.3.4), as net.Resolver says.
		return rrset{}, errNotFound(name)
	}
	var last error
	for _, server := range servers {
		resp, err := r.exchange(ctx, server, name, qtype)
		if ctx.Err() != nil {
			return rrset{}, errContext(ctx, name)
		}
		if err != nil {
			last = err
			continue
		}
		set, ok := rrsetOf(name, resp.Answer, qtype, soaOf(resp.Ns))
		switch {
		case !ok:
			last = errTemporary(name, server+" answered a looping CNAME chain")
			continue
		case resp.Rcode == dns.RcodeSuccess:
			if len(set.rrs) == 0 {
				return set, errNotFound(name) // no data (RFC 2308 §2.2)
			}
			return set, nil
		case resp.Rcode == dns.RcodeNameError:
			return set, errNotFound(name) // RFC 2308 §2.1
		}
		// SERVFAIL, REFUSED and the rest: another server may do better.
		last = errTemporary(name, fmt.Sprintf("%s answered %s", server, dns.RcodeToString[resp.Rcode]))
	}
	if last == nil {
		last = errTemporary(name, "no server to ask")
	}
	return rrset{}, last
}

// soaOf returns the SOA record of an authority section, if any.
func soaOf(ns []dns.RR) *dns.SOA {
	for _, rr := range ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa
		}
	}
	return nil
}

// exchange asks one server, over UDP and then over TCP if the answer was
// truncated (RFC 7766 §5), within the per-query timeout.
func (r *NetworkResolver) exchange(ctx context.Context, server, name string, qtype uint16) (*dns.Msg, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = defaultQueryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req := new(dns.Msg)
	req.SetQuestion(name, qtype) // random ID, RD set
	req.SetEdns0(ednsSize, false)
	packed, err := req.Pack()
	if err != nil {
		return nil, errTemporary(name, err.Error())
	}
	resp, err := exchangeOver(ctx, "udp", server, req, packed)
	if err == nil && resp.Truncated {
		resp, err = exchangeOver(ctx, "tcp", server, req, packed)
	}
	return resp, err
}

// exchangeOver sends a packed query over network and reads until the answer
// to it comes. Packets that are not that answer (garbage, another ID,
// another question) are ignored, as they may be forgeries (RFC 5452 §9.1).
// Cancelling ctx closes the connection, so that a pending read ends at once.
func exchangeOver(ctx context.Context, network, server string, req *dns.Msg, packed []byte) (*dns.Msg, error) {
	name := req.Question[0].Name
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, errExchange(ctx, name, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline) // a failure leaves AfterFunc to end the exchange
	}

	stream := network == "tcp"
	msg := packed
	if stream {
		// RFC 1035 §4.2.2: over TCP, a two-byte length before each message.
		msg = binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(packed)), uint16(len(packed)))
		msg = append(msg, packed...)
	}
	if _, err := conn.Write(msg); err != nil {
		return nil, errExchange(ctx, name, err)
	}
	var buf []byte
	if !stream {
		buf = make([]byte, ednsSize) // a larger answer breaks RFC 6891 §6.2.5: ignored
	}
	for {
		msg, err := readMessage(conn, stream, buf)
		if err != nil {
			return nil, errExchange(ctx, name, err)
		}
		resp := new(dns.Msg)
		err = resp.Unpack(msg)
		// A truncated answer may end mid-record: only its header and
		// question are needed, to retry over TCP.
		if !isAnswerTo(resp, req) || (err != nil && !resp.Truncated) {
			continue
		}
		return resp, nil
	}
}

// readMessage reads one DNS message: one datagram into buf, or one
// length-prefixed message from a stream.
func readMessage(conn net.Conn, stream bool, buf []byte) ([]byte, error) {
	if !stream {
		n, err := conn.Read(buf)
		return buf[:n], err
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(size[:]))
	_, err := io.ReadFull(conn, msg)
	return msg, err
}

// isAnswerTo reports whether resp answers req: a response with the same ID
// and the same question (RFC 5452 §4.1).
func isAnswerTo(resp, req *dns.Msg) bool {
	if !resp.Response || resp.Id != req.Id || len(resp.Question) != 1 {
		return false
	}
	got, want := resp.Question[0], req.Question[0]
	return got.Qtype == want.Qtype && got.Qclass == want.Qclass && canonicalName(got.Name) == canonicalName(want.Name)
}

// errExchange turns a failed exchange into a temporary *net.DNSError: a
// timeout when the deadline passed, a cancellation when ctx was cancelled.
func errExchange(ctx context.Context, name string, err error) *net.DNSError {
	if ctx.Err() != nil {
		return errContext(ctx, name)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errTimeout(name)
	}
	return errTemporary(name, err.Error())
}
