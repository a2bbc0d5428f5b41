package spftest

import (
	"bufio"

	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// StalwartCheck is one "expect:" line of a stalwartlabs/mail-auth SPF file
// (../shared/conformance/spf/stalwart-mail-auth), with the DNS as it stood
// at that line.
type StalwartCheck struct {
	File, Scenario, Name string
	Line                 int
	Helo, Sender         string
	IP                   netip.Addr
	Expect               string
	// Explanation is the expected explanation, when the line gives one.
	Explanation string
	Zone        *Zone
}

// LoadStalwart reads one file in the upstream's line-oriented format
// (INDEX.md §1.4): records accumulate per scenario ("spf:", "exp:", "a:",
// "aaaa:", "mx:" synthesizing hosts mx.<ip>.<pos>, "ptr:"), "domain:" sets
// the HELO name, "sender:" the MAIL FROM, "ip:" the client, and each
// "expect:" is one evaluation. A "spf:" line among the tests replaces the
// name's record. A name with a "_dns_error" label fails with SERVFAIL.
func LoadStalwart(path string) ([]*StalwartCheck, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spftest: %w", err)
	}
	defer fh.Close()
	var out []*StalwartCheck
	z := newEmptyZone()
	scenario, name, section := "", "", ""
	var helo, sender string
	var ip netip.Addr
	sc := bufio.NewScanner(fh)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if l == "---" {
			z, scenario, name, section, helo, sender, ip = newEmptyZone(), "", "", "", "", "", netip.Addr{}
			continue
		}
		if l == "records:" || l == "tests:" {
			section = l
			continue
		}
		l = strings.TrimPrefix(l, "- ")
		key, val, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("spftest: %s:%d: no key in %q", path, line, l)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "name":
			if section == "" {
				scenario = val
			} else {
				name = val
			}
		case "domain":
			helo = val
		case "sender":
			sender = val
		case "ip":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return nil, fmt.Errorf("spftest: %s:%d: %w", path, line, err)
			}
			ip = a
		case "expect":
			exp, text, _ := strings.Cut(val, " ")
			c := &StalwartCheck{File: path, Scenario: scenario, Name: name, Line: line, Helo: helo, Sender: sender, IP: ip, Expect: exp, Explanation: strings.TrimSpace(text), Zone: z.clone()}
			out = append(out, c)
		case "spf", "exp":
			owner, text, _ := strings.Cut(val, " ")
			if key == "spf" && section == "tests:" {
				z.drop(owner, dns.TypeTXT)
			}
			z.add(owner, &mdns.TXT{Txt: []string{text}}, dns.TypeTXT)
		case "a", "aaaa":
			owner, ips, _ := strings.Cut(val, " ")
			for _, s := range strings.Split(ips, ",") {
				if err := z.addAddr(owner, strings.TrimSpace(s)); err != nil {
					return nil, fmt.Errorf("spftest: %s:%d: %w", path, line, err)
				}
			}
		case "mx":
			owner, ips, _ := strings.Cut(val, " ")
			for pos, s := range strings.Split(ips, ",") {
				s = strings.TrimSpace(s)
				host := fmt.Sprintf("mx.%s.%d", s, pos)
				z.add(owner, &mdns.MX{Preference: uint16(pos + 1), Mx: mdns.Fqdn(host)}, dns.TypeMX)
				if err := z.addAddr(host, s); err != nil {
					return nil, fmt.Errorf("spftest: %s:%d: %w", path, line, err)
				}
			}
		case "ptr":
			addr, names, _ := strings.Cut(val, " ")
			a, err := netip.ParseAddr(addr)
			if err != nil {
				return nil, fmt.Errorf("spftest: %s:%d: %w", path, line, err)
			}
			for _, n := range strings.Split(names, ",") {
				if n = strings.TrimSpace(n); n != "" {
					z.add(reverse(a), &mdns.PTR{Ptr: mdns.Fqdn(n)}, dns.TypePTR)
				}
			}
		default:
			return nil, fmt.Errorf("spftest: %s:%d: unknown key %q", path, line, key)
		}
	}
	return out, sc.Err()
}

func newEmptyZone() *Zone { return &Zone{names: map[string]*nameData{}, errLabel: "_dns_error"} }

func (z *Zone) data(name string) *nameData {
	n := dns.CanonicalName(name)
	nd := z.names[n]
	if nd == nil {
		nd = &nameData{records: map[uint16][]dns.Record{}, before: map[uint16]bool{}, timeouts: map[uint16]bool{}}
		z.names[n] = nd
	}
	return nd
}

func (z *Zone) add(owner string, rr mdns.RR, t uint16) {
	*rr.Header() = mdns.RR_Header{Name: mdns.Fqdn(owner), Rrtype: t, Class: mdns.ClassINET, Ttl: 300}
	nd := z.data(owner)
	nd.records[t] = append(nd.records[t], dns.FromRR(rr))
}

func (z *Zone) drop(owner string, t uint16) { delete(z.data(owner).records, t) }

func (z *Zone) addAddr(owner, s string) error {
	ip := net.ParseIP(s)
	if ip == nil {
		return fmt.Errorf("bad address %q", s)
	}
	if v4 := ip.To4(); v4 != nil {
		z.add(owner, &mdns.A{A: v4}, dns.TypeA)
	} else {
		z.add(owner, &mdns.AAAA{AAAA: ip}, dns.TypeAAAA)
	}
	return nil
}

func (z *Zone) clone() *Zone {
	c := &Zone{names: map[string]*nameData{}, errLabel: z.errLabel}
	for n, nd := range z.names {
		cd := &nameData{records: map[uint16][]dns.Record{}, before: nd.before, timeouts: nd.timeouts, timeoutAll: nd.timeoutAll}
		for t, rs := range nd.records {
			cd.records[t] = append([]dns.Record(nil), rs...)
		}
		c.names[n] = cd
	}
	return c
}

func reverse(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", a[3], a[2], a[1], a[0])
	}
	const hexdig = "0123456789abcdef"
	a := ip.As16()
	var b strings.Builder
	for i := len(a) - 1; i >= 0; i-- {
		b.WriteByte(hexdig[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hexdig[a[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa"
}

// errFor returns the injected failure for a name with the error label.
func (z *Zone) errFor(name string, qtype uint16) error {
	if z.errLabel == "" {
		return nil
	}
	for _, l := range strings.Split(name, ".") {
		if l == z.errLabel {
			return &dns.Error{Name: name, Type: qtype, RCode: dns.RcodeServFail, Server: "spftest"}
		}
	}
	return nil
}

var _ dns.Resolver = (*Zone)(nil)
