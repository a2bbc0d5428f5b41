// Package mx checks a domain's MX records (RFC 5321 §5.1, RFC 7505): null
// MX, exchanges that are aliases or IP literals, exchanges with no address or
// a private one, duplicates and shared preferences. Its MX lookup (Lookup) is
// shared with the checks that need the exchanges (MTA-STS, STARTTLS).
package mx

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Check.
var (
	FindDomainNotFound = catalog.Define(finding.Spec{
		Code: "mx.domain-not-found", Severity: finding.Error,
		Title:   "the domain does not exist",
		Meaning: "The DNS answered NXDOMAIN for the domain itself: no record of any type exists at that name, so nothing else can be checked meaningfully and no receiver will accept mail from it.",
		Fix:     "Check the spelling of the domain, and that its zone is delegated (NS records at the parent) and published.",
	})
	FindNone = catalog.Define(finding.Spec{
		Code: "mx.none", Severity: finding.Warning,
		Title:   "no MX records",
		Meaning: "The domain has no MX records. Senders then fall back to its A/AAAA address (the implicit MX of RFC 5321 §5.1), which is rarely a mail server. Bounces and DMARC reports addressed to the domain may be lost.",
		Fix:     "Publish MX records for the servers that receive the domain's mail; if the domain receives no mail, publish a null MX (`DOMAIN. MX 0 .`, RFC 7505).",
	})
	FindNull = catalog.Define(finding.Spec{
		Code: "mx.null", Severity: finding.Info,
		Title:   "null MX: the domain receives no mail",
		Meaning: "The domain publishes a null MX (`MX 0 .`, RFC 7505): it states that it accepts no mail. For a domain that also sends no mail, SPF `v=spf1 -all` and DMARC `p=reject` complete the picture.",
		Fix:     "Nothing to fix if the domain is not meant to receive mail. For a parked domain, publish `v=spf1 -all` and `v=DMARC1; p=reject`.",
	})
	FindNullMixed = catalog.Define(finding.Spec{
		Code: "mx.null-mixed", Severity: finding.Error,
		Title:   "null MX published beside other MX records",
		Meaning: "RFC 7505 §3 says a domain that publishes a null MX must not publish other MX records. Senders disagree on what such a set means.",
		Fix:     "Remove either the null MX (`MX 0 .`) or the other MX records.",
	})
	FindUnresolvable = catalog.Define(finding.Spec{
		Code: "mx.unresolvable", Severity: finding.Error,
		Title:   "an exchange has no address",
		Meaning: "An MX record names a host with no A or AAAA record: senders cannot deliver to it, and will try the next exchange or bounce.",
		Fix:     "Publish A/AAAA records for the exchange, or remove the MX record that names it.",
	})
	FindCNAME = catalog.Define(finding.Spec{
		Code: "mx.cname", Severity: finding.Warning,
		Title:   "an exchange is an alias (CNAME)",
		Meaning: "An MX record names an alias. RFC 2181 §10.3 and RFC 5321 §5.1 forbid it; most senders follow the alias, some do not, and MTA-STS and DANE checks see the wrong name.",
		Fix:     "Point the MX record at the canonical host name (the CNAME's target).",
	})
	FindIPLiteral = catalog.Define(finding.Spec{
		Code: "mx.ip-literal", Severity: finding.Error,
		Title:   "an exchange is an IP address",
		Meaning: "An MX record's target must be a host name. An address written as a name (`MX 10 192.0.2.25.`) is looked up as a name and fails.",
		Fix:     "Publish an A/AAAA record for a host name (`mx1.DOMAIN. A 192.0.2.25`) and point the MX at that name.",
	})
	FindPrivateAddress = catalog.Define(finding.Spec{
		Code: "mx.private-address", Severity: finding.Warning,
		Title:   "an exchange has a private or reserved address",
		Meaning: "An exchange resolves to a loopback, private, link-local or unspecified address, which senders on the Internet cannot reach.",
		Fix:     "Publish the exchange's public address, or use split-horizon DNS only for internal names.",
	})
	FindDuplicateExchange = catalog.Define(finding.Spec{
		Code: "mx.duplicate-exchange", Severity: finding.Warning,
		Title:   "the same exchange is listed twice",
		Meaning: "Two MX records name the same host. It adds nothing and usually comes from an edit that left an old record.",
		Fix:     "Keep one MX record per exchange.",
	})
	FindEqualPreference = catalog.Define(finding.Spec{
		Code: "mx.equal-preference", Severity: finding.Info,
		Title:   "exchanges share a preference",
		Meaning: "Several exchanges have the same preference: senders pick among them at random (load sharing). That is fine when intended; a backup exchange should have a higher number.",
		Fix:     "Nothing to fix if load sharing is intended; otherwise give backup exchanges a larger preference value.",
	})
)

var (
	FindCNAMEAndOtherData = catalog.Define(finding.Spec{
		Code: "mx.cname-and-other-data", Severity: finding.Error,
		Title:   "a CNAME beside other records at the domain",
		Meaning: "The domain's name holds a CNAME and other records (SOA, NS, MX, TXT). RFC 1034 §3.6.2 and RFC 2181 §10.1 forbid it: resolvers answer inconsistently (some follow the alias, some return the other records, some report the name as missing), so SPF, DMARC and mail delivery work for some receivers and not others. At a zone apex it is never valid.",
		Fix:     "Remove the CNAME, and publish the records the alias pointed to (A/AAAA, or the provider's ALIAS/flattening feature) at the name itself.",
	})
	FindCNAMEChain = catalog.Define(finding.Spec{
		Code: "mx.cname-error", Severity: finding.Error,
		Title:   "an exchange's CNAME chain loops or is too long",
		Meaning: "The name an MX record points to is an alias whose chain loops back on itself or runs longer than 16 hops: resolvers answer SERVFAIL, and no sender can deliver to that exchange.",
		Fix:     "Correct the CNAME records so that the chain ends in an A/AAAA record, or point the MX record at the final host name.",
	})
	FindNotCheckedOffline = catalog.Define(finding.Spec{
		Code: "mx.not-checked-offline", Severity: finding.Info,
		Title:   "an exchange was not checked offline",
		Meaning: "The check ran offline and the exchange's name is outside every zone file given (a provider's mail host): its addresses could not be read, so it is neither passed nor failed.",
		Fix:     "Run the check online, or give that zone file with --zone as well.",
	})
)

// Lookup is a domain's MX lookup, shared by the checks that need its
// exchanges.
type Lookup struct {
	// Answer is the MX answer; nil when Err is set.
	Answer *dns.Answer
	// Err is set when the DNS could not be asked (a temporary failure).
	Err error
	// Hosts are the exchanges in preference order, without the null MX.
	Hosts []string
	// Null is true when a null MX ("MX 0 .") is published.
	Null bool
}

// LookupMX asks the domain's MX records.
func LookupMX(ctx context.Context, r dns.Resolver, domain string) *Lookup {
	a, err := r.Query(ctx, domain, dns.TypeMX)
	res := &Lookup{Answer: a, Err: err}
	if err != nil || a == nil {
		return res
	}
	recs := append([]dns.Record(nil), a.Records...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Preference < recs[j].Preference })
	for _, rr := range recs {
		if rr.Target == "." || rr.Target == "" {
			res.Null = true
			continue
		}
		res.Hosts = append(res.Hosts, rr.Target)
	}
	return res
}

// Parked reports whether the domain publishes a null MX and nothing else:
// it receives no mail.
func (l *Lookup) Parked() bool { return l != nil && l.Err == nil && l.Null && len(l.Hosts) == 0 }

// Result is the mx check of one domain.
type Result struct {
	Status   finding.Status
	Records  []string
	Findings finding.List
	Details  *Details
	// Error says why the check could not complete (status error).
	Error string
}

// Exchange is one MX target in the mx check's details.
type Exchange struct {
	Host       string   `json:"host"`
	Preference uint16   `json:"preference"`
	Addresses  []string `json:"addresses"`
	CNAMEs     []string `json:"cnames,omitempty"`
}

// Details is the mx check's details in the report.
type Details struct {
	NullMX    bool       `json:"null_mx"`
	Exchanges []Exchange `json:"exchanges"`
}

// Check judges the domain's MX records from its lookup (LookupMX), and
// resolves the exchanges.
func Check(ctx context.Context, r dns.Resolver, domain string, m *Lookup) *Result {
	det := &Details{NullMX: m.Null, Exchanges: []Exchange{}}
	if m.Err != nil {
		return &Result{Status: finding.StatusError, Details: det, Error: m.Err.Error()}
	}
	res := &Result{Details: det}
	defer func() {
		finding.Sort(res.Findings)
		if res.Status == "" {
			res.Status = finding.Judge(res.Findings, true)
		}
	}()
	a := m.Answer
	if len(a.CNAMEAndOtherData) > 0 {
		res.Findings = append(res.Findings, FindCNAMEAndOtherData.New(
			fmt.Sprintf("%s holds a CNAME beside other records (%s): resolvers answer it inconsistently", domain, strings.Join(a.CNAMEAndOtherData, " -> ")),
			fmt.Sprintf("Remove the CNAME at %s and publish the records it pointed to at the name itself.", domain)).WithName(domain))
	}
	for _, rr := range a.Records {
		res.Records = append(res.Records, fmt.Sprintf("%d %s", rr.Preference, dotted(rr.Target)))
	}
	switch {
	case a.NXDomain() && len(a.CNAMEAndOtherData) > 0:
		// Not "the domain does not exist": the CNAME beside other data
		// is what the finding above reports.
		return res
	case a.NXDomain():
		res.Findings = append(res.Findings, FindDomainNotFound.New(
			fmt.Sprintf("%s does not exist (NXDOMAIN)", domain),
			fmt.Sprintf("Check that %s is spelled right and that its zone is published and delegated.", domain)))
		return res
	case len(a.Records) == 0:
		res.Findings = append(res.Findings, FindNone.New(
			fmt.Sprintf("%s has no MX records; senders fall back to its A/AAAA address", domain),
			fmt.Sprintf("Publish `%s. MX 10 <your mail server>.`, or `%s. MX 0 .` if the domain receives no mail.", domain, domain)))
		return res
	}
	if m.Null {
		if len(m.Hosts) > 0 {
			res.Findings = append(res.Findings, FindNullMixed.New(
				fmt.Sprintf("%s publishes a null MX and %d other MX record(s)", domain, len(m.Hosts)),
				fmt.Sprintf("Remove `%s. MX 0 .` if the domain receives mail, or remove the other MX records if it does not.", domain)))
		} else {
			res.Findings = append(res.Findings, FindNull.New(
				fmt.Sprintf("%s publishes a null MX: it receives no mail", domain), ""))
			return res
		}
	}

	// List the exchanges, then resolve them concurrently (the cache
	// deduplicates); each goroutine writes only its own element.
	recs := append([]dns.Record(nil), a.Records...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Preference < recs[j].Preference })
	exch := make([]Exchange, 0, len(recs))
	var lookup []int // indexes of exch to resolve
	seen := map[string]bool{}
	prefs := map[uint16][]string{}
	for _, rr := range recs {
		if rr.Target == "." || rr.Target == "" {
			continue
		}
		if seen[rr.Target] {
			res.Findings = append(res.Findings, FindDuplicateExchange.New(
				fmt.Sprintf("%s is listed more than once", rr.Target),
				fmt.Sprintf("Remove the extra `%s. MX %d %s.` record.", domain, rr.Preference, rr.Target)))
			continue
		}
		seen[rr.Target] = true
		prefs[rr.Preference] = append(prefs[rr.Preference], rr.Target)
		exch = append(exch, Exchange{Host: rr.Target, Preference: rr.Preference, Addresses: []string{}})
		if isIPLiteral(rr.Target) {
			res.Findings = append(res.Findings, FindIPLiteral.New(
				fmt.Sprintf("the MX record names %q, an IP address, not a host name", rr.Target),
				fmt.Sprintf("Publish `mx1.%s. A %s` (or AAAA) and replace the record with `%s. MX %d mx1.%s.`", domain, rr.Target, domain, rr.Preference, domain)))
			continue
		}
		lookup = append(lookup, len(exch)-1)
	}
	errs := make([]error, len(exch))
	offline := make([]bool, len(exch))
	var wg sync.WaitGroup
	for _, idx := range lookup {
		wg.Add(1)
		go func(e *Exchange, errp *error, offp *bool) {
			defer wg.Done()
			addrs, cnames, notCovered, err := resolveHost(ctx, r, e.Host)
			if err != nil {
				*errp = err
				return
			}
			e.CNAMEs, *offp = cnames, notCovered
			for _, ip := range addrs {
				e.Addresses = append(e.Addresses, ip.String())
			}
		}(&exch[idx], &errs[idx], &offline[idx])
	}
	wg.Wait()
	det.Exchanges = exch
	for i, err := range errs {
		switch {
		case err == nil:
		case dns.IsCNAMEChainError(err):
			// A loop is a misconfiguration, not an outage.
			res.Findings = append(res.Findings, FindCNAMEChain.New(
				fmt.Sprintf("exchange %s cannot be resolved: %v", exch[i].Host, err),
				fmt.Sprintf("Correct the CNAME records of %s, or point the MX record at the final host name.", exch[i].Host)).WithName(exch[i].Host))
			offline[i] = true // reported: judge nothing else about it
		default:
			res.Findings = nil
			res.Status, res.Error = finding.StatusError, err.Error()
			return res
		}
	}
	for i, e := range exch {
		if offline[i] {
			if errs[i] == nil {
				res.Findings = append(res.Findings, FindNotCheckedOffline.New(
					fmt.Sprintf("exchange %s is outside every zone file given: its addresses were not checked offline", e.Host), "").WithName(e.Host))
			}
			continue
		}
		if len(e.CNAMEs) > 0 {
			res.Findings = append(res.Findings, FindCNAME.New(
				fmt.Sprintf("exchange %s is an alias of %s", e.Host, e.CNAMEs[len(e.CNAMEs)-1]),
				fmt.Sprintf("Replace the MX target %s with %s.", e.Host, e.CNAMEs[len(e.CNAMEs)-1])))
		}
		if len(e.Addresses) == 0 && !isIPLiteral(e.Host) {
			res.Findings = append(res.Findings, FindUnresolvable.New(
				fmt.Sprintf("exchange %s has no A or AAAA record", e.Host),
				fmt.Sprintf("Publish `%s. A <address>` (and AAAA if it has IPv6), or remove `%s. MX %d %s.`", e.Host, domain, e.Preference, e.Host)))
		}
		for _, s := range e.Addresses {
			ip, _ := netip.ParseAddr(s)
			if !ip.IsGlobalUnicast() || ip.IsPrivate() {
				res.Findings = append(res.Findings, FindPrivateAddress.New(
					fmt.Sprintf("exchange %s resolves to %s, which is not reachable from the Internet", e.Host, ip),
					fmt.Sprintf("Publish the public address of %s.", e.Host)))
			}
		}
	}
	var equal []string
	for p, hosts := range prefs {
		if len(hosts) > 1 {
			equal = append(equal, fmt.Sprintf("%s (preference %d)", strings.Join(hosts, ", "), p))
		}
	}
	sort.Strings(equal)
	for _, e := range equal {
		res.Findings = append(res.Findings, FindEqualPreference.New("exchanges share a preference: "+e, ""))
	}
	return res
}

// resolveHost returns a host's A and AAAA addresses and the CNAME chain
// followed to reach them, and whether the host was outside every zone file
// (offline: not checked).
func resolveHost(ctx context.Context, r dns.Resolver, host string) ([]netip.Addr, []string, bool, error) {
	var addrs []netip.Addr
	var cnames []string
	notCovered := false
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := r.Query(ctx, host, t)
		if err != nil {
			return nil, nil, false, err
		}
		addrs = append(addrs, a.IPs()...)
		notCovered = notCovered || a.NotCovered
		if len(a.CNAMEs) > len(cnames) {
			cnames = a.CNAMEs
		}
	}
	return addrs, cnames, notCovered, nil
}

// isIPLiteral reports whether an MX target is an address written as a name.
func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil
}

func dotted(name string) string {
	if name == "." {
		return "."
	}
	return name + "."
}
