package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/bouncepolicy/bouncepolicy/spf/internal/dnsdata"
)

// defaultQueryTimeout bounds one query to one server when Network.Timeout
// is zero.
const defaultQueryTimeout = 2 * time.Second

// defaultAttempts is how many times a query is sent to one server over UDP
// when Network.Attempts is zero, as resolv.conf(5) does.
const defaultAttempts = 2

// A Network sends queries, with recursion desired, to recursive DNS servers:
// over UDP with EDNS0, retried over TCP when the answer is truncated. It
// accepts only an answer whose ID and question match the query, follows the
// CNAME chain the answer carries, tries the servers in order until one
// answers (NXDOMAIN and "no data" are answers; SERVFAIL, REFUSED, referrals,
// a CNAME without its target's records or an SOA, an answer truncated over
// TCP and silence are not), and stops at once when the context is done. A server that rejects EDNS0 is asked again without it
// (RFC 6891 §7). Names may hold any octet, as such or in RFC 1035 escapes
// (\032). The zero value uses the servers of /etc/resolv.conf, read at
// each lookup. It is safe for concurrent use.
type Network struct {
	// Servers are the recursive servers' addresses, as host:port.
	Servers []string
	// Timeout bounds each query to one server; zero means 2 seconds.
	Timeout time.Duration
	// Attempts is how many times a query is sent to one server over UDP
	// within Timeout, each waiting for its share of the time left; zero
	// means 2.
	Attempts int
}

// LookupTXT returns the TXT records of name, each record's strings joined.
func (r *Network) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := r.lookup(ctx, lookupQuery{queryTXT, name})
	return a.txt, err
}

// LookupMX returns the MX records of name, sorted by preference.
func (r *Network) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := r.lookup(ctx, lookupQuery{queryMX, name})
	return a.mx, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
func (r *Network) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	a, err := r.lookup(ctx, lookupQuery{queryIP, host})
	return a.ips, err
}

// LookupNetIP returns the addresses of host: network "ip4" asks for its A
// records only, "ip6" for its AAAA records only, "ip" for both.
func (r *Network) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return lookupNetIP(ctx, r, network, host)
}

// LookupAddr returns the names an address maps to (its PTR records).
func (r *Network) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := r.lookup(ctx, lookupQuery{queryPTR, addr})
	return a.names, err
}

// lookup implements ttlResolver.
func (r *Network) lookup(ctx context.Context, q lookupQuery) (lookupAnswer, error) {
	servers := r.Servers
	if len(servers) == 0 {
		sys, err := System()
		if err != nil {
			return lookupAnswer{}, dnsdata.Temporary(q.name, err.Error())
		}
		servers = sys.Servers
	}
	return lookupWith(ctx, q, func(ctx context.Context, name string, qtype uint16) (rrset, error) {
		return r.resolve(ctx, servers, name, qtype)
	}, true)
}

// resolve asks the servers in turn until one gives a usable answer.
func (r *Network) resolve(ctx context.Context, servers []string, name string, qtype uint16) (rrset, error) {
	if _, ok := dns.IsDomainName(name); !ok {
		// No such name can exist (RFC 1035 §2.3.4), as net.Resolver says.
		return rrset{}, dnsdata.NotFound(name)
	}
	var last error
	for _, server := range servers {
		resp, err := r.exchange(ctx, server, name, qtype)
		if ctx.Err() != nil {
			return rrset{}, dnsdata.ContextError(ctx, name)
		}
		if err != nil {
			last = err
			continue
		}
		soa := soaOf(resp.Ns)
		set, ok := rrsetOf(name, resp.Answer, qtype, soa)
		switch {
		case !ok:
			last = dnsdata.Temporary(name, server+" answered a looping CNAME chain")
			continue
		case resp.Rcode == dns.RcodeSuccess && len(set.rrs) == 0 && isReferral(resp):
			// RFC 2308 §2.2: a referral is not "no data"; this server
			// does not recurse for us.
			last = dnsdata.Temporary(name, server+" answered with a referral")
			continue
		case resp.Rcode == dns.RcodeSuccess && len(set.rrs) == 0 && set.aliased && soa == nil:
			// A CNAME chain without its target's records and without an
			// SOA is not "no data": a server answers with the CNAME alone
			// when it does not serve the target (RFC 1034 §4.3.2 step 3a),
			// for the resolver to follow (RFC 1034 §5.3.3 step 4c), and
			// only the SOA of a negative answer says the target has no
			// records of the type (RFC 2308 §2.2, §3). Without a chain, an
			// empty answer with neither SOA nor NS stays "no data" (RFC
			// 2308 §2.2, NODATA type 3): the server speaks of the name
			// asked.
			last = dnsdata.Temporary(name, server+" answered a CNAME without its target's records")
			continue
		case resp.Rcode == dns.RcodeSuccess:
			if len(set.rrs) == 0 {
				return set, dnsdata.NotFound(name) // no data (RFC 2308 §2.2)
			}
			return set, nil
		case resp.Rcode == dns.RcodeNameError:
			return set, dnsdata.NotFound(name) // RFC 2308 §2.1
		}
		// SERVFAIL, REFUSED and the rest: another server may do better.
		last = dnsdata.Temporary(name, fmt.Sprintf("%s answered %s", server, dns.RcodeToString[resp.Rcode]))
	}
	if last == nil {
		last = dnsdata.Temporary(name, "no server to ask")
	}
	return rrset{}, last
}

// isReferral reports whether an answer without the records asked for is a
// referral: NS records and no SOA in its authority section (RFC 2308 §2.2).
func isReferral(resp *dns.Msg) bool {
	if soaOf(resp.Ns) != nil {
		return false
	}
	for _, rr := range resp.Ns {
		if rr.Header().Rrtype == dns.TypeNS {
			return true
		}
	}
	return false
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

// exchange asks one server within the per-query timeout, with EDNS0 and,
// should the server reject that with FORMERR or NOTIMP, once more without
// (RFC 6891 §7).
func (r *Network) exchange(ctx context.Context, server, name string, qtype uint16) (*dns.Msg, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = defaultQueryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req := new(dns.Msg)
	req.SetQuestion(name, qtype) // random ID, RD set
	req.SetEdns0(dnsdata.EDNSSize, false)
	resp, err := r.send(ctx, server, req)
	if err == nil && (resp.Rcode == dns.RcodeFormatError || resp.Rcode == dns.RcodeNotImplemented) {
		req.Extra = nil
		resp, err = r.send(ctx, server, req)
	}
	return resp, err
}

// send asks one server over UDP, sending the query again when no answer
// comes in its share of the time (resolv.conf(5) attempts:), and then over
// TCP if the answer was truncated (RFC 7766 §5).
func (r *Network) send(ctx context.Context, server string, req *dns.Msg) (*dns.Msg, error) {
	packed, err := req.Pack()
	if err != nil {
		return nil, dnsdata.Temporary(req.Question[0].Name, err.Error())
	}
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	deadline, _ := ctx.Deadline()
	var resp *dns.Msg
	for i := range attempts {
		try, cancel := context.WithTimeout(ctx, time.Until(deadline)/time.Duration(attempts-i))
		resp, err = exchangeOver(try, "udp", server, req, packed)
		cancel()
		if derr, ok := err.(*net.DNSError); !ok || !derr.IsTimeout || ctx.Err() != nil {
			break
		}
	}
	if err == nil && resp.Truncated {
		resp, err = exchangeOver(ctx, "tcp", server, req, packed)
	}
	return resp, err
}

// exchangeOver sends a packed query over network and reads until the answer
// to it comes. Packets that are not that answer (garbage, another ID,
// another question) are ignored, as they may be forgeries (RFC 5452 §9.1).
// An answer over TCP that is truncated or cannot be read whole is a
// temporary failure. Cancelling ctx closes the connection, so that a
// pending read ends at once.
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
		// One octet more than offered, to see an answer larger than
		// RFC 6891 §6.2.5 allows: it is cut short, so read as truncated.
		buf = make([]byte, dnsdata.EDNSSize+1)
	}
	for {
		msg, err := readMessage(conn, stream, buf)
		if err != nil {
			return nil, errExchange(ctx, name, err)
		}
		resp := new(dns.Msg)
		err = resp.Unpack(msg)
		switch {
		case !isAnswerTo(resp, req):
			continue
		case stream && (err != nil || resp.Truncated):
			// RFC 2181 §9: the records of a truncated answer may be a
			// part of the set, and over TCP no larger answer can come;
			// what is missing is unknown, so nothing is known.
			return nil, dnsdata.Temporary(name, server+" sent a truncated answer over TCP")
		case stream:
			return resp, nil
		}
		// Over UDP, a truncated answer may end mid-record: only its header
		// and question are needed, to retry over TCP.
		resp.Truncated = resp.Truncated || len(msg) > dnsdata.EDNSSize
		if err != nil && !resp.Truncated {
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
	return got.Qtype == want.Qtype && got.Qclass == want.Qclass && dnsdata.CanonicalName(got.Name) == dnsdata.CanonicalName(want.Name)
}

// errExchange turns a failed exchange into a temporary *net.DNSError: a
// timeout when the deadline passed, a cancellation when ctx was cancelled.
func errExchange(ctx context.Context, name string, err error) *net.DNSError {
	if ctx.Err() != nil {
		return dnsdata.ContextError(ctx, name)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return dnsdata.Timeout(name)
	}
	return dnsdata.Temporary(name, err.Error())
}
