// Package authoritative is the "authoritative" check of `emailauth check
// --authoritative`: it asks each of a domain's name servers directly, with
// no resolver and no cache in between, for the mail records, and reports
// where they disagree: a record on one server and not on another, records
// that differ, SOA serials that differ, a server that does not answer for
// the zone (lame) or cannot be reached. Propagation is the most common
// source of confusion while a tenant is onboarded: a resolver shows one
// server's view, at some moment; this shows every server's, now.
package authoritative

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var catalog finding.Catalog

// Findings returns the catalogue of the authoritative check's codes.
func Findings() []*finding.Spec { return catalog.Specs() }

// The check's codes.
var (
	FindLame = catalog.Define(finding.Spec{
		Code: "authoritative.lame", Severity: finding.Error,
		Title:   "a name server does not answer for the zone",
		Meaning: "A server in the zone's NS set answers, but not authoritatively for the zone (no AA bit, a referral, REFUSED or SERVFAIL): a lame delegation. Resolvers that pick it get no answer, or a wrong one, and retry elsewhere, slowly.",
		Fix:     "Configure the zone on that server, or remove the server from the NS records (at the zone and at the parent).",
	})
	FindUnreachable = catalog.Define(finding.Spec{
		Code: "authoritative.unreachable", Severity: finding.Error, Transient: true,
		Title:   "a name server could not be reached",
		Meaning: "A server in the zone's NS set did not answer at any of its addresses. From here, nothing is known about what it serves.",
		Fix:     "Retry later; if it persists, make the server reachable on UDP and TCP port 53, or remove it from the NS records.",
	})
	FindNoAddress = catalog.Define(finding.Spec{
		Code: "authoritative.no-address", Severity: finding.Error,
		Title:   "a name server has no address",
		Meaning: "A host name in the zone's NS set has no A or AAAA record, so no resolver can ask it.",
		Fix:     "Publish the server's address records (and glue at the parent when the server is inside the zone), or remove it from the NS records.",
	})
	FindNoNameServers = catalog.Define(finding.Spec{
		Code: "authoritative.no-nameservers", Severity: finding.Error,
		Title:   "the zone has no name servers",
		Meaning: "The zone holding the domain has no NS records (or does not exist), so there is no server to ask.",
		Fix:     "Delegate the zone to its name servers at the registrar.",
	})
	FindSerialMismatch = catalog.Define(finding.Spec{
		Code: "authoritative.serial-mismatch", Severity: finding.Warning,
		Title:   "the name servers serve different versions of the zone",
		Meaning: "The SOA serials differ: a change is propagating from the primary to the secondaries, or a secondary stopped transferring the zone. Until they agree, resolvers see one version or the other, at random.",
		Fix:     "Wait for the transfer (`emailauth wait` shows when every server has the records); if a serial never moves, check the secondary's zone transfers (NOTIFY, IXFR/AXFR, ACLs).",
	})
	FindRecordMissing = catalog.Define(finding.Spec{
		Code: "authoritative.record-missing", Severity: finding.Warning,
		Title:   "a mail record is on some name servers and not on others",
		Meaning: "Some servers serve the record, others do not: resolvers asking the latter see no record. While the serials differ this is propagation in progress (a warning); with the same serial, the servers disagree about one version of the zone (an error).",
		Fix:     "Wait for propagation, or publish the record on every server (a zone kept by hand on each server is the usual cause).",
	})
	FindRecordDiffers = catalog.Define(finding.Spec{
		Code: "authoritative.record-differs", Severity: finding.Warning,
		Title:   "the name servers serve different mail records",
		Meaning: "The servers serve different values for the same name and type. While the serials differ this is propagation in progress (a warning); with the same serial, the servers disagree about one version of the zone (an error).",
		Fix:     "Wait for propagation, or correct the record on the servers that differ.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "authoritative.dns-error", Severity: finding.Error, Transient: true,
		Title:   "the name servers could not be found",
		Meaning: "The lookup of the zone or of its NS set failed (a timeout, SERVFAIL): the servers could not be asked. This is not a failure of the domain.",
		Fix:     "Retry later; if it persists, check that the parent zone delegates the domain and that its resolver answers (`emailauth lookup DOMAIN NS`).",
	})
)

// Options tune Check.
type Options struct {
	// Client asks the servers (a default AuthClient when nil).
	Client *dns.AuthClient
	// NS tunes the lookup of the NS set (port, addresses given by name).
	NS dns.NSOptions
	// Servers, when set, are the addresses to ask instead of the zone's
	// NS set (a provider's servers before the delegation is switched).
	Servers []string
	// Selectors are DKIM selectors whose records are compared too;
	// BIMISelector the BIMI selector ("default" when empty).
	Selectors    []string
	BIMISelector string
}

// Server is one name server and how it answered.
type Server struct {
	Name string `json:"name,omitempty"`
	// Address is the address that answered (or the last one tried).
	Address string `json:"address,omitempty"`
	Serial  uint32 `json:"serial,omitempty"`
	// Status: "ok", "lame", "unreachable" or "no-address".
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (s Server) label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Address
}

// Comparison is one name and type as each server serves it.
type Comparison struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Answers maps a server (its name, or its address) to what it serves:
	// the records, or "(no such name)", "(no records)" or "(error: ...)".
	Answers map[string][]string `json:"answers"`
	Agree   bool                `json:"agree"`
}

// Result is the authoritative check of one domain.
type Result struct {
	Domain      string         `json:"domain"`
	Zone        string         `json:"zone"`
	Servers     []Server       `json:"servers"`
	Comparisons []Comparison   `json:"comparisons"`
	Status      finding.Status `json:"-"`
	Findings    finding.List   `json:"-"`
	Records     []string       `json:"-"`
	Error       string         `json:"-"`
}

// question is a name and type compared across servers.
type question struct {
	name  string
	qtype uint16
	// filter keeps the records that matter ("v=spf1" among a name's TXT
	// records); nil keeps all.
	filter func(string) bool
}

// Check asks every name server of domain's zone for the mail records and
// compares their answers. DNS failures (the zone or its NS set could not
// be looked up through r, a server unreachable) are transient findings.
func Check(ctx context.Context, r dns.Resolver, domain string, opts Options) *Result {
	d := dns.CanonicalName(domain)
	res := &Result{Domain: d, Servers: []Server{}, Comparisons: []Comparison{}, Findings: finding.List{}, Records: []string{}}
	client := opts.Client
	if client == nil {
		client = &dns.AuthClient{}
	}
	zone, servers, err := Discover(ctx, r, d, opts.NS, opts.Servers)
	res.Zone = zone
	if err != nil {
		if dns.IsTemporary(err) {
			res.Findings = append(res.Findings, FindDNSError.New(fmt.Sprintf("the name servers of %s could not be found: %v", d, err), "retry later"))
			res.Error = err.Error()
		} else {
			res.Findings = append(res.Findings, FindNoNameServers.New(fmt.Sprintf("the name servers of %s could not be found: %v", d, strings.TrimPrefix(err.Error(), "dns: ")),
				fmt.Sprintf("delegate %s to its name servers at the registrar", orDomain(zone, d))))
		}
		res.Status = finding.Judge(res.Findings, !dns.IsTemporary(err))
		return res
	}
	res.Servers = ProbeAll(ctx, client, servers, zone)
	var good []Server
	serials := map[uint32][]string{}
	for _, s := range res.Servers {
		switch s.Status {
		case "ok":
			good = append(good, s)
			serials[s.Serial] = append(serials[s.Serial], s.label())
		case "lame":
			res.Findings = append(res.Findings, FindLame.New(fmt.Sprintf("%s (%s) does not answer authoritatively for %s: %s", s.label(), s.Address, zone, s.Error),
				fmt.Sprintf("configure the zone %s on %s, or remove it from the NS records of %s", zone, s.label(), zone)).WithName(s.label()))
		case "unreachable":
			res.Findings = append(res.Findings, FindUnreachable.New(fmt.Sprintf("%s did not answer: %s", s.label(), s.Error),
				fmt.Sprintf("make %s reachable on UDP and TCP port 53, or remove it from the NS records of %s", s.label(), zone)).WithName(s.label()))
		case "no-address":
			res.Findings = append(res.Findings, FindNoAddress.New(fmt.Sprintf("the name server %s of %s has no address: %s", s.Name, zone, s.Error),
				fmt.Sprintf("publish the A/AAAA records of %s, or remove it from the NS records of %s", s.Name, zone)).WithName(s.Name))
		}
	}
	sameSerial := len(serials) <= 1
	if !sameSerial {
		var parts []string
		for _, s := range good {
			parts = append(parts, fmt.Sprintf("%s has %d", s.label(), s.Serial))
		}
		res.Findings = append(res.Findings, FindSerialMismatch.New(fmt.Sprintf("the SOA serials of %s differ: %s", zone, strings.Join(parts, ", ")),
			"wait for the change to reach every server (emailauth wait shows it); a serial that never moves means a secondary stopped transferring the zone"))
	}
	if len(good) > 1 {
		res.compare(ctx, client, good, questions(d, opts), sameSerial)
	} else if len(good) == 1 {
		// One server answers: nothing to compare, but its records are
		// shown.
		res.compare(ctx, client, good, questions(d, opts), true)
	}
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, true)
	return res
}

func orDomain(zone, d string) string {
	if zone != "" {
		return zone
	}
	return d
}

// Discover returns the zone holding domain and the servers to ask: the
// given addresses, or the zone's NS set.
func Discover(ctx context.Context, r dns.Resolver, domain string, nsOpts dns.NSOptions, given []string) (string, []dns.NameServer, error) {
	zone, err := dns.FindZone(ctx, r, domain)
	if err != nil {
		if len(given) == 0 || dns.IsTemporary(err) {
			return "", nil, err
		}
		zone = dns.CanonicalName(domain)
	}
	if len(given) > 0 {
		var out []dns.NameServer
		port := nsOpts.Port
		if port == "" {
			port = "53"
		}
		for _, g := range given {
			out = append(out, dns.NameServer{Addrs: []string{withPort(g, port)}})
		}
		return zone, out, nil
	}
	ns, err := dns.LookupNameServers(ctx, r, zone, nsOpts)
	return zone, ns, err
}

func withPort(addr, port string) string {
	if strings.Count(addr, ":") == 1 || strings.HasPrefix(addr, "[") {
		return addr
	}
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + port
	}
	return addr + ":" + port
}

// ProbeAll finds, concurrently, the address each server answers at, and
// its SOA serial.
func ProbeAll(ctx context.Context, c *dns.AuthClient, servers []dns.NameServer, zone string) []Server {
	out := make([]Server, len(servers))
	var wg sync.WaitGroup
	for i, ns := range servers {
		wg.Add(1)
		go func(i int, ns dns.NameServer) {
			defer wg.Done()
			s := Server{Name: ns.Name}
			if len(ns.Addrs) == 0 {
				s.Status, s.Error = "no-address", ns.Error
				out[i] = s
				return
			}
			addr, serial, err := c.Probe(ctx, ns, zone)
			s.Address, s.Serial = addr, serial
			switch {
			case err == nil:
				s.Status = "ok"
			case dns.IsTimeout(err) || !isAnswer(err):
				s.Status, s.Error = "unreachable", shortErr(err)
			default:
				s.Status, s.Error = "lame", shortErr(err)
			}
			out[i] = s
		}(i, ns)
	}
	wg.Wait()
	return out
}

// isAnswer reports whether err comes from a server that answered (lame:
// a refusal, SERVFAIL, no AA) rather than from one that could not be
// reached.
func isAnswer(err error) bool {
	if errors.Is(err, dns.ErrNotAuthoritative) {
		return true
	}
	var de *dns.Error
	return errors.As(err, &de) && de.RCode >= 0
}

func shortErr(err error) string {
	var de *dns.Error
	if errors.As(err, &de) {
		switch {
		case errors.Is(err, dns.ErrNotAuthoritative):
			return "the answer has no AA bit (not authoritative for the zone)"
		case de.RCode >= 0:
			return "it answers " + dns.RcodeString(de.RCode)
		case de.Err != nil:
			return de.Err.Error()
		}
	}
	return err.Error()
}

func questions(d string, opts Options) []question {
	isSPF := func(s string) bool { return len(s) >= 6 && strings.EqualFold(s[:6], "v=spf1") }
	qs := []question{
		{d, dns.TypeTXT, isSPF},
		{d, dns.TypeMX, nil},
		{"_dmarc." + d, dns.TypeTXT, nil},
	}
	for _, s := range opts.Selectors {
		qs = append(qs, question{dkimkey.RecordName(s, d), dns.TypeTXT, nil})
	}
	bimiSel := opts.BIMISelector
	if bimiSel == "" {
		bimiSel = "default"
	}
	qs = append(qs,
		question{"_mta-sts." + d, dns.TypeTXT, nil},
		question{"_smtp._tls." + d, dns.TypeTXT, nil},
		question{bimiSel + "._bimi." + d, dns.TypeTXT, nil},
	)
	return qs
}

const (
	noName    = "(no such name)"
	noRecords = "(no records)"
)

// compare asks every good server every question and reports where they
// disagree.
func (res *Result) compare(ctx context.Context, c *dns.AuthClient, good []Server, qs []question, sameSerial bool) {
	type cell struct {
		values []string
		empty  bool
	}
	grid := make([][]cell, len(qs))
	for i := range grid {
		grid[i] = make([]cell, len(good))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, q := range qs {
		for j, s := range good {
			wg.Add(1)
			go func(i, j int, q question, s Server) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				a, err := c.Ask(ctx, s.Address, q.name, q.qtype)
				switch {
				case err != nil:
					grid[i][j] = cell{values: []string{"(error: " + shortErr(err) + ")"}}
				case a.NXDomain() && len(a.CNAMEs) == 0:
					grid[i][j] = cell{values: []string{noName}, empty: true}
				default:
					var vals []string
					for _, cn := range a.CNAMEs {
						vals = append(vals, "CNAME "+cn+".")
					}
					for _, r := range a.Records {
						v := r.Data
						if r.Type == dns.TypeTXT {
							v = strings.Join(r.Strings, "")
						}
						if q.filter == nil || q.filter(v) {
							vals = append(vals, v)
						}
					}
					sort.Strings(vals)
					if len(vals) == 0 {
						grid[i][j] = cell{values: []string{noRecords}, empty: true}
					} else {
						grid[i][j] = cell{values: vals}
					}
				}
			}(i, j, q, s)
		}
	}
	wg.Wait()
	for i, q := range qs {
		cmp := Comparison{Name: q.name, Type: dns.TypeString(q.qtype), Answers: map[string][]string{}, Agree: true}
		groups := map[string][]string{} // rendered value -> servers
		var order []string
		anyEmpty, anyFull := false, false
		for j, s := range good {
			cl := grid[i][j]
			cmp.Answers[s.label()] = cl.values
			key := strings.Join(cl.values, "\n")
			if _, ok := groups[key]; !ok {
				order = append(order, key)
			}
			groups[key] = append(groups[key], s.label())
			if cl.empty {
				anyEmpty = true
			} else {
				anyFull = true
				for _, v := range cl.values {
					if !strings.HasPrefix(v, "(error") && !containsStr(res.Records, v) {
						res.Records = append(res.Records, v)
					}
				}
			}
		}
		cmp.Agree = len(groups) <= 1
		res.Comparisons = append(res.Comparisons, cmp)
		if cmp.Agree {
			continue
		}
		sev := finding.Warning
		when := "while the change propagates (the serials differ)"
		if sameSerial {
			sev = finding.Error
			when = "although every server has the same serial: they disagree about one version of the zone"
		}
		var parts []string
		for _, k := range order {
			parts = append(parts, fmt.Sprintf("%s: %s", strings.Join(groups[k], ", "), strings.ReplaceAll(quoteValues(k), "\n", " ")))
		}
		label := q.name + " " + dns.TypeString(q.qtype)
		if anyEmpty && anyFull {
			var have, lack []string
			for j, s := range good {
				if grid[i][j].empty {
					lack = append(lack, s.label())
				} else {
					have = append(have, s.label())
				}
			}
			res.Findings = append(res.Findings, FindRecordMissing.New(
				fmt.Sprintf("%s is served by %s but not by %s, %s", label, strings.Join(have, ", "), strings.Join(lack, ", "), when),
				fmt.Sprintf("wait for the change to reach %s (emailauth wait), or publish the record there", strings.Join(lack, ", "))).WithName(q.name).WithSeverity(sev))
			continue
		}
		res.Findings = append(res.Findings, FindRecordDiffers.New(
			fmt.Sprintf("the servers serve different %s, %s: %s", label, when, strings.Join(parts, "; ")),
			"wait for the change to reach every server, or correct the record where it differs").WithName(q.name).WithSeverity(sev))
	}
}

func quoteValues(k string) string {
	var q []string
	for _, v := range strings.Split(k, "\n") {
		if strings.HasPrefix(v, "(") {
			q = append(q, v)
		} else {
			q = append(q, fmt.Sprintf("%q", v))
		}
	}
	return strings.Join(q, " ")
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
