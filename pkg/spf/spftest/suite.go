// Package spftest loads the OpenSPF test suites (RFC 7208 and RFC 4408, in
// the JSON conversion kept under ../shared/conformance/spf/json) and serves
// each scenario's DNS data from memory, with the pyspf driver's semantics:
// names absent from the zone are NXDOMAIN, a name without the asked type is
// NODATA, a TIMEOUT marker makes every type not listed before it time out,
// a name with a label over 63 octets is a temporary error, and CNAME chains
// are followed (pyspf's "cname-chain" needs two levels; loops end after 8).
package spftest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Suite is one test-suite file.
type Suite struct {
	Source    string
	Scenarios []*Scenario
}

// Scenario is a set of tests sharing one zone.
type Scenario struct {
	Description string
	Tests       []*Test
	Zone        *Zone
}

// Test is one check_host() call and its acceptable results.
type Test struct {
	Name        string
	Description string
	Spec        []string
	Host        string
	MailFrom    string
	Helo        string
	// Results are the acceptable results, the first preferred.
	Results []string
	// Explanation is the expected explanation, when the suite gives one;
	// "DEFAULT" stands for the driver's default explanation.
	Explanation *string
}

type rawEntry struct {
	Type          string   `json:"type"`
	Strings       []string `json:"strings"`
	Data          string   `json:"data"`
	Preference    uint16   `json:"preference"`
	Exchange      string   `json:"exchange"`
	TimeoutMarker bool     `json:"timeout_marker"`
	Timeout       bool     `json:"timeout"`
}

type rawTest struct {
	Description string          `json:"description"`
	Spec        json.RawMessage `json:"spec"`
	Host        string          `json:"host"`
	MailFrom    string          `json:"mailfrom"`
	Helo        string          `json:"helo"`
	Result      []string        `json:"result"`
	Explanation *string         `json:"explanation"`
}

type rawScenario struct {
	Description string                `json:"description"`
	Tests       map[string]rawTest    `json:"tests"`
	Zone        map[string][]rawEntry `json:"effective_txt_zone"`
}

// Load reads a suite in the conformance JSON format.
func Load(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spftest: %w", err)
	}
	var raw struct {
		Source    string        `json:"source_file"`
		Scenarios []rawScenario `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("spftest: %s: %w", path, err)
	}
	s := &Suite{Source: raw.Source}
	for _, rs := range raw.Scenarios {
		z, err := newZone(rs.Zone)
		if err != nil {
			return nil, fmt.Errorf("spftest: %s: scenario %q: %w", path, rs.Description, err)
		}
		sc := &Scenario{Description: rs.Description, Zone: z}
		names := make([]string, 0, len(rs.Tests))
		for n := range rs.Tests {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			rt := rs.Tests[n]
			t := &Test{Name: n, Description: rt.Description, Host: rt.Host, MailFrom: rt.MailFrom, Helo: rt.Helo, Results: rt.Result, Explanation: rt.Explanation}
			var one string
			if json.Unmarshal(rt.Spec, &one) == nil {
				t.Spec = []string{one}
			} else {
				_ = json.Unmarshal(rt.Spec, &t.Spec)
			}
			sc.Tests = append(sc.Tests, t)
		}
		s.Scenarios = append(s.Scenarios, sc)
	}
	return s, nil
}

// Count returns the number of tests.
func (s *Suite) Count() int {
	n := 0
	for _, sc := range s.Scenarios {
		n += len(sc.Tests)
	}
	return n
}

type nameData struct {
	records map[uint16][]dns.Record
	// timeoutAll: types not in before time out.
	timeoutAll bool
	before     map[uint16]bool
	timeouts   map[uint16]bool
}

// Zone is one scenario's DNS data; it implements dns.Resolver.
type Zone struct {
	names map[string]*nameData
	// errLabel, when set, makes every name with that label fail (SERVFAIL).
	errLabel string
}

func newZone(raw map[string][]rawEntry) (*Zone, error) {
	z := &Zone{names: map[string]*nameData{}}
	for name, entries := range raw {
		n := dns.CanonicalName(name)
		nd := z.names[n]
		if nd == nil {
			nd = &nameData{records: map[uint16][]dns.Record{}, before: map[uint16]bool{}, timeouts: map[uint16]bool{}}
			z.names[n] = nd
		}
		owner := mdns.Fqdn(n)
		for _, e := range entries {
			if e.TimeoutMarker {
				nd.timeoutAll = true
				continue
			}
			t, err := dns.ParseType(e.Type)
			if err != nil {
				return nil, err
			}
			if e.Timeout {
				nd.timeouts[t] = true
				continue
			}
			if !nd.timeoutAll {
				nd.before[t] = true
			}
			hdr := mdns.RR_Header{Name: owner, Rrtype: t, Class: mdns.ClassINET, Ttl: 300}
			var rr mdns.RR
			switch t {
			case dns.TypeTXT, dns.TypeSPF:
				strs := e.Strings
				if strs == nil {
					strs = []string{}
				}
				rr = &mdns.TXT{Hdr: hdr, Txt: strs}
			case dns.TypeA:
				ip := net.ParseIP(e.Data).To4()
				if ip == nil {
					return nil, fmt.Errorf("%s: bad A %q", name, e.Data)
				}
				rr = &mdns.A{Hdr: hdr, A: ip}
			case dns.TypeAAAA:
				ip := net.ParseIP(e.Data)
				if ip == nil {
					return nil, fmt.Errorf("%s: bad AAAA %q", name, e.Data)
				}
				rr = &mdns.AAAA{Hdr: hdr, AAAA: ip}
			case dns.TypeMX:
				ex := e.Exchange
				if ex == "" {
					ex = "."
				}
				rr = &mdns.MX{Hdr: hdr, Preference: e.Preference, Mx: mdns.Fqdn(ex)}
			case dns.TypePTR:
				rr = &mdns.PTR{Hdr: hdr, Ptr: mdns.Fqdn(e.Data)}
			case dns.TypeCNAME:
				rr = &mdns.CNAME{Hdr: hdr, Target: mdns.Fqdn(e.Data)}
			default:
				return nil, fmt.Errorf("%s: unsupported type %s", name, e.Type)
			}
			nd.records[t] = append(nd.records[t], dns.FromRR(rr))
		}
	}
	return z, nil
}

// Names returns the zone's names, sorted.
func (z *Zone) Names() []string {
	var out []string
	for n := range z.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Records returns the records of a name and type, for tools that serve the
// zone another way.
func (z *Zone) Records(name string, qtype uint16) []dns.Record {
	if nd := z.names[dns.CanonicalName(name)]; nd != nil {
		return nd.records[qtype]
	}
	return nil
}

// TimesOut reports whether a query for name and qtype times out.
func (z *Zone) TimesOut(name string, qtype uint16) bool {
	nd := z.names[dns.CanonicalName(name)]
	if nd == nil {
		return false
	}
	return nd.timeouts[qtype] || nd.timeoutAll && !nd.before[qtype]
}

// maxCNAME bounds CNAME chains (a loop ends as NODATA).
const maxCNAME = 8

// Query implements dns.Resolver.
func (z *Zone) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := dns.CanonicalName(name)
	if err := z.errFor(n, qtype); err != nil {
		return nil, err
	}
	for _, l := range strings.Split(n, ".") {
		if len(l) > 63 {
			return nil, &dns.Error{Name: n, Type: qtype, RCode: -1, Err: fmt.Errorf("label longer than 63 octets")}
		}
	}
	a := &dns.Answer{Name: n, Type: qtype, Source: "spftest", Records: []dns.Record{}}
	cur := n
	for hop := 0; hop <= maxCNAME; hop++ {
		nd := z.names[cur]
		if nd == nil {
			a.RCode = dns.RcodeNXDomain
			return a, nil
		}
		if z.TimesOut(cur, qtype) {
			return nil, &dns.Error{Name: cur, Type: qtype, RCode: -1, Err: dns.ErrTimeout, Server: "spftest"}
		}
		if rs := nd.records[qtype]; len(rs) > 0 {
			a.Records = append(a.Records, rs...)
			return a, nil
		}
		if c := nd.records[dns.TypeCNAME]; len(c) > 0 && qtype != dns.TypeCNAME && hop < maxCNAME {
			cur = c[0].Target
			a.CNAMEs = append(a.CNAMEs, cur)
			continue
		}
		return a, nil
	}
	return a, nil
}
