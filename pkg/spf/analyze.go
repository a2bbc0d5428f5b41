package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// AnalyzeOptions tune Analyze.
type AnalyzeOptions struct {
	// MaxLookups is the lookup limit findings are judged against; 0 = 10.
	MaxLookups int
	// SkipType99 skips the query for an obsolete type-99 SPF record.
	SkipType99 bool
}

// Analysis is what a person or CI needs to know about a domain's SPF: the
// include/redirect tree with each term's cost, the totals evaluation would
// reach, the networks authorized, and findings with fixes.
//
// The totals are those of check_host() for a client address that matches no
// mechanism but "all": the worst case, where every reachable term is
// evaluated. CheckHost for such an address reports the same counts.
type Analysis struct {
	Domain string `json:"domain"`
	// Record is the domain's SPF record, "" when it has none (or several).
	Record string `json:"record"`
	// Tree is the domain's node; includes and redirects are its children.
	Tree *Node `json:"tree"`
	// Lookups is the number of DNS-querying terms evaluation reaches.
	Lookups int `json:"lookups"`
	// VoidLookups counts the lookups that return no data, for an IPv4 and
	// an IPv6 client (a and mx ask A or AAAA by the client's family).
	VoidLookups VoidCount `json:"void_lookups"`
	// Result is what check_host() returns for a client that matches no
	// mechanism but all: the domain's policy for unlisted hosts.
	Result Code `json:"result"`
	// MacroDependent is true when a reachable term's target is built from
	// macros, so the cost or the result depends on the connection.
	MacroDependent bool `json:"macro_dependent"`
	// Networks are the networks that pass, from the whole tree.
	Networks []string `json:"networks"`
	// Costs are the checked domain's terms that cost lookups, with what each
	// costs including everything it includes, costliest first.
	Costs []TermCost `json:"costs"`
	// Incomplete is true when a DNS lookup failed.
	Incomplete bool `json:"incomplete"`
	// Merged is set when the domain publishes several records (a
	// permerror at once): the one record to publish instead. Lookups,
	// VoidLookups and Costs are then the merged record's, what the domain
	// will need once it is fixed; the tree shows each record as it is.
	Merged *MergedRecord `json:"merged,omitempty"`
	// StrictReceivers are the counts of receivers that count more than RFC
	// 7208 §4.6.4 says, for the same client (see spf.receiver-compat).
	StrictReceivers ReceiverCounts `json:"strict_receivers"`
	Findings        finding.List   `json:"findings"`
}

// ReceiverCounts are the lookup counts of pyspf (behind policyd-spf) and
// Mail::SPF (behind SpamAssassin), which count a redirect= beside all (or
// after a mechanism that always matches) as a lookup, and an MX host without
// an address of the client's family as a void lookup. The void lookups of
// ptr, which they count too, depend on each client's reverse DNS and are not
// included.
type ReceiverCounts struct {
	Lookups     int       `json:"lookups"`
	VoidLookups VoidCount `json:"void_lookups"`
}

// TermCost is what one term of the checked record costs, with its subtree.
type TermCost struct {
	Term    string `json:"term"`
	Lookups int    `json:"lookups"`
}

// VoidCount is a number of void lookups by client address family.
type VoidCount struct {
	IPv4 int `json:"ipv4"`
	IPv6 int `json:"ipv6"`
}

// Max returns the larger count.
func (v VoidCount) Max() int { return max(v.IPv4, v.IPv6) }

// Node is one domain's record in the tree.
type Node struct {
	Domain string `json:"domain"`
	// Via is "domain" for the checked domain, "include" or "redirect".
	Via string `json:"via"`
	// Status: "ok", "none" (no record), "multiple" (more than one),
	// "syntax-error", "dns-error", "loop", "invalid" (malformed name),
	// "not-checked" (offline, and no zone file covers the name: nothing is
	// known; evaluation is assumed to go on past it, and its own lookups
	// are not counted).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Record is the SPF record used; Records every SPF record found.
	Record  string   `json:"record,omitempty"`
	Records []string `json:"records,omitempty"`
	// TTL of the TXT answer.
	TTL   uint32        `json:"ttl"`
	Terms []*TermReport `json:"terms"`
	// SyntaxErrors are the record's syntax errors (status "syntax-error"):
	// the terms that do parse are still analysed.
	SyntaxErrors []*SyntaxError `json:"syntax_errors,omitempty"`
	// Alternatives are the trees of each record when there are several
	// (status "multiple"); evaluation stops with permerror before any.
	Alternatives []*Node `json:"alternatives,omitempty"`
	// Lookups is what this node and its children cost; VoidLookups likewise.
	Lookups     int       `json:"lookups"`
	VoidLookups VoidCount `json:"void_lookups"`
	// Result is this record's result for a client that matches nothing but
	// all.
	Result Code `json:"result"`
	// Networks are the networks this branch makes pass.
	Networks []string `json:"networks"`
}

// TermReport is one term of a node, with its cost.
type TermReport struct {
	Term     string `json:"term"`
	Position int    `json:"position"`
	// Reached is false for terms evaluation never gets to (after all, after
	// an include that always matches, a redirect beside all).
	Reached bool `json:"reached"`
	// Cost is what the term adds to the lookup count (0 when not reached);
	// Reason says why.
	Cost   int    `json:"cost"`
	Reason string `json:"reason"`
	// Running is the running total after this term, across the whole tree
	// in evaluation order.
	Running int `json:"running_total"`
	// AddressLookups are the uncounted address lookups of mx (one per MX
	// host).
	AddressLookups int `json:"address_lookups,omitempty"`
	// Void says whether the term's lookup returns no data, per family.
	VoidIPv4 bool `json:"void_ipv4,omitempty"`
	VoidIPv6 bool `json:"void_ipv6,omitempty"`
	// MacroDependent: the target is built from macros.
	MacroDependent bool `json:"macro_dependent,omitempty"`
	// Networks the term matches (for ip4, ip6, a, mx).
	Networks []string `json:"networks,omitempty"`
	// Note is a remark for a person ("evaluation stops here: 11 > 10").
	Note string `json:"note,omitempty"`
	// Child is the include or redirect target's node.
	Child *Node `json:"child,omitempty"`
}

type netRef struct {
	prefix netip.Prefix
	where  string
}

type walker struct {
	ctx      context.Context
	r        dns.Resolver
	opts     AnalyzeOptions
	max      int
	a        *Analysis
	running  int
	voids    VoidCount
	limitHit bool
	voidHit  bool
	includes map[string]int
	inDup    int // > 0 while walking a subtree already walked once
	nets     []netRef
	costs    map[*TermReport]int // top-level subtree costs, for fixes

	// What pyspf and Mail::SPF count beyond the RFC (ReceiverCounts), and
	// why, for spf.receiver-compat.
	strictLookups  int
	strictVoids    VoidCount
	strictRedirect []string // "redirect=x (in the record of d)"
	strictMXHosts  [2][]string
	notChecked     map[string]bool // names reported not checked offline
	mxLimit        bool            // an mx term has too many hosts (a permerror already)
}

// Analyze walks domain's SPF tree once. The error is non-nil only for a
// malformed domain; DNS failures are findings (spf.dns-error) and set
// Incomplete.
func Analyze(ctx context.Context, r dns.Resolver, domain string, opts AnalyzeOptions) (*Analysis, error) {
	d := dns.CanonicalName(strings.TrimSpace(domain))
	if reason := checkDomain(d); reason != "" {
		return nil, fmt.Errorf("spf: %q is not a domain name: %s", domain, reason)
	}
	w := &walker{ctx: ctx, r: r, opts: opts, max: opts.MaxLookups, includes: map[string]int{}}
	if w.max <= 0 {
		w.max = MaxLookups
	}
	a := &Analysis{Domain: d, Findings: finding.List{}}
	w.a = a
	a.Tree = w.node(d, "domain", nil)
	a.Record = a.Tree.Record
	a.Lookups = w.running
	a.VoidLookups = w.voids
	a.Result = a.Tree.Result
	a.Networks = a.Tree.Networks
	if !opts.SkipType99 {
		w.type99(d)
	}
	a.Costs = w.termCosts()
	a.StrictReceivers = ReceiverCounts{Lookups: a.Lookups + w.strictLookups,
		VoidLookups: VoidCount{a.VoidLookups.IPv4 + w.strictVoids.IPv4, a.VoidLookups.IPv6 + w.strictVoids.IPv6}}
	if m := a.Merged; m != nil {
		a.Lookups, a.VoidLookups, a.Costs = m.Lookups, m.VoidLookups, m.Costs
	}
	w.totals()
	w.duplicateNetworks()
	return a, nil
}

// add records a finding, unless it comes from a subtree walked a second time
// (a duplicate include), where it would only repeat itself.
func (w *walker) add(f finding.Finding) {
	if w.inDup > 0 {
		return
	}
	w.a.Findings = append(w.a.Findings, f)
}

// dnsError reports a lookup that gave no answer: a transient finding
// (spf.dns-error), except for a CNAME loop or an over-long chain, which is a
// misconfiguration (spf.cname-error).
func (w *walker) dnsError(name string, err error) {
	w.a.Incomplete = true
	if dns.IsCNAMEChainError(err) {
		w.add(FindCNAMEChain.New(fmt.Sprintf("%s cannot be resolved: %v; resolvers answer SERVFAIL, so receivers return temperror whenever they reach it", name, err),
			fmt.Sprintf("correct the CNAME records of %s (try `emailauth lookup %s`) so that the chain ends in a record", name, name)).WithName(name))
		return
	}
	w.add(FindDNSError.New(fmt.Sprintf("could not look up %s: %v", name, err),
		fmt.Sprintf("make sure the authoritative servers for %s answer (try `emailauth lookup %s`), then run the check again", name, name)).WithName(name))
}

// notCovered reports a name that was not checked: offline, no zone file
// covers it (dns.Answer.NotCovered). Once per name.
func (w *walker) notCovered(name, what string) {
	if w.notChecked == nil {
		w.notChecked = map[string]bool{}
	}
	if w.notChecked[name] {
		return
	}
	w.notChecked[name] = true
	w.add(FindNotCheckedOffline.New(fmt.Sprintf("%s was not checked: the check ran offline and no zone file covers %s (%s); it is not counted as missing or void", name, name, what), "").WithName(name))
}

// node analyses domain's record. path holds the domains being evaluated
// above it, for loop detection.
func (w *walker) node(domain, via string, path []string) *Node {
	n := &Node{Domain: domain, Via: via, Terms: []*TermReport{}, Networks: []string{}}
	startRun, startVoid := w.running, w.voids
	defer func() {
		n.Lookups = w.running - startRun
		n.VoidLookups = VoidCount{w.voids.IPv4 - startVoid.IPv4, w.voids.IPv6 - startVoid.IPv6}
	}()
	top := via == "domain"
	if reason := checkDomain(domain); reason != "" {
		n.Status, n.Error, n.Result = "invalid", reason, PermError
		return n
	}
	fr := Fetch(w.ctx, w.r, domain)
	n.Records = fr.Records
	if fr.Code == None && fr.Answer != nil && fr.Answer.NotCovered {
		n.Status, n.Error, n.Result = "not-checked", "not checked offline: no zone file covers "+domain, Neutral
		what := "its SPF record"
		if top {
			n.Result = None
		} else {
			what = "the " + via + " target; its own lookups are not counted"
		}
		w.notCovered(domain, what)
		return n
	}
	if fr.Answer != nil {
		n.TTL = fr.Answer.MinTTL()
		w.checkAnswer(domain, fr.Answer)
		if top || via == "redirect" || len(fr.Records) == 0 {
			w.checkVersion(domain, fr.Answer, len(fr.Records))
		}
	}
	switch {
	case fr.Code == TempError:
		n.Status, n.Error, n.Result = "dns-error", fr.Err.Error(), TempError
		w.dnsError(domain, fr.Err)
		return n
	case fr.Code == None:
		n.Status, n.Error, n.Result = "none", fr.Err.Error(), None
		if top {
			w.add(FindNoRecord.New(fmt.Sprintf("%s has no SPF record", domain),
				fmt.Sprintf("publish a TXT record at %s, e.g. \"v=spf1 mx -all\" listing your senders, or \"v=spf1 -all\" if the domain sends no mail", domain)))
		}
		return n
	case len(fr.Records) > 1:
		n.Status, n.Error, n.Result = "multiple", fr.Err.Error(), PermError
		fix := fmt.Sprintf("merge them into one TXT record at %s and delete the others: %s", domain, quoteAll(fr.Records))
		if top {
			m := w.merge(domain, fr.Records)
			fix = fmt.Sprintf("replace them with one TXT record at %s, %q (%d of %d DNS lookups", domain, m.Record, m.Lookups, w.max)
			if m.Lookups > w.max {
				fix += ": over the limit, see spf.lookup-limit"
			}
			fix += ")"
			if len(m.Notes) > 0 {
				fix += "; " + strings.Join(m.Notes, "; ")
			}
		}
		w.add(FindMultipleRecords.New(fmt.Sprintf("%s has %d SPF records (%s); receivers return permerror", domain, len(fr.Records), quoteAll(fr.Records)), fix).WithName(domain))
		// Show each record's tree as it would be alone; they cost nothing
		// together, since evaluation stops at once.
		run, voids, limit, voidHit := w.running, w.voids, w.limitHit, w.voidHit
		strictL, strictV := w.strictLookups, w.strictVoids
		for i, raw := range fr.Records {
			alt := &Node{Domain: domain, Via: fmt.Sprintf("record %d of %d", i+1, len(fr.Records)), Terms: []*TermReport{}, Networks: []string{}, TTL: n.TTL, Record: raw}
			w.running, w.voids = run, voids
			rec, errs := parseLenient(raw)
			w.terms(alt, domain, rec, errs, alt.Via, path, top)
			alt.Lookups = w.running - run
			alt.VoidLookups = VoidCount{w.voids.IPv4 - voids.IPv4, w.voids.IPv6 - voids.IPv6}
			n.Alternatives = append(n.Alternatives, alt)
		}
		w.running, w.voids, w.limitHit, w.voidHit = run, voids, limit, voidHit
		w.strictLookups, w.strictVoids = strictL, strictV
		return n
	case fr.Code == PermError:
		n.Status, n.Error, n.Result = "syntax-error", fr.Err.Error(), PermError
		n.Record = fr.Records[0]
		var se *SyntaxError
		fix := fmt.Sprintf("correct the record at %s", domain)
		if errors.As(fr.Err, &se) {
			fix = fmt.Sprintf("correct %q at position %d of the TXT record at %s: %s", se.Term, se.Pos, domain, se.Reason)
			n.SyntaxErrors = append(n.SyntaxErrors, se)
		}
		w.add(FindSyntaxError.New(strings.TrimPrefix(fr.Err.Error(), "spf: "), fix).WithName(domain))
		// Show the terms that parse, so the rest of the tree is visible.
		rec, errs := parseLenient(n.Record)
		n.SyntaxErrors = errs
		w.terms(n, domain, rec, errs, via, path, top)
		n.Result = PermError
		return n
	}
	n.Status = "ok"
	rec := fr.Record
	n.Record = rec.Raw
	w.terms(n, domain, rec, nil, via, path, top)
	return n
}

// terms analyses a record's terms into n, in evaluation order. errs are
// syntax errors of a lenient parse, shown beside the terms.
func (w *walker) terms(n *Node, domain string, rec *Record, errs []*SyntaxError, via string, path []string, top bool) {
	if rec == nil {
		return
	}
	if !strings.HasPrefix(rec.Raw, "v=spf1") {
		// RFC 7208 compares case-insensitively, so this works with most
		// receivers: a warning, not the error of a record that is ignored.
		w.add(FindBadVersion.New(fmt.Sprintf("the SPF record of %s starts with %q, not exactly \"v=spf1\"; receivers that compare case-sensitively ignore it", domain, rec.Raw[:6]),
			fmt.Sprintf("publish it at %s as \"v=spf1%s\"", domain, rec.Raw[6:])).WithName(domain).WithSeverity(finding.Warning))
	}
	path = append(path, domain)
	n.Result = Neutral
	decided := false // evaluation has ended for a non-matching client
	all := rec.All()
	var afterAll []string
	nextErr := 0
	for _, t := range rec.Terms {
		for nextErr < len(errs) && errs[nextErr].Pos < t.Pos {
			se := errs[nextErr]
			n.Terms = append(n.Terms, &TermReport{Term: se.Term, Position: se.Pos, Reason: "syntax error", Networks: []string{}, Note: "syntax error: " + se.Reason})
			nextErr++
		}
		tr := &TermReport{Term: t.Raw, Position: t.Pos, Reason: t.CostReason(), Networks: []string{}}
		n.Terms = append(n.Terms, tr)
		if t.Modifier == ModRedirect {
			continue // handled after the mechanisms, as evaluation does
		}
		if decided {
			tr.Running = w.running
			if t.IsMechanism() {
				if all != nil && t.Pos > all.Pos {
					afterAll = append(afterAll, t.Raw)
					tr.Note = "never evaluated: it comes after \"all\""
				} else {
					tr.Note = "never evaluated: an earlier term always matches"
				}
			}
			continue
		}
		if !t.IsMechanism() {
			tr.Reached = true
			tr.Running = w.running
			if t.Modifier == ModExp {
				tr.Note = "fetched only when the result is fail; not counted"
			} else {
				tr.Note = "unknown modifier: ignored"
			}
			continue
		}
		tr.Reached = true
		before := w.running
		w.charge(domain, t, tr)
		always := w.mechanism(domain, t, tr, n, path, top)
		if tr.Child != nil && top {
			if w.costs == nil {
				w.costs = map[*TermReport]int{}
			}
			w.costs[tr] = w.running - before
		}
		switch {
		case always:
			decided = true
			n.Result = t.Qualifier.Result()
		case t.Mechanism == MechAll:
			decided = true
			n.Result = t.Qualifier.Result()
			if top || via == "redirect" {
				w.allFindings(domain, t)
			}
		case t.Mechanism == MechInclude && tr.Child != nil && tr.Child.Result == Pass:
			decided = true
			n.Result = t.Qualifier.Result()
			tr.Note = strings.TrimSpace(tr.Note + " the included record passes every address, so evaluation always ends here")
		case t.Mechanism == MechInclude && tr.Child != nil && (tr.Child.Result == PermError || tr.Child.Result == TempError || tr.Child.Result == None):
			if n.Result != PermError && n.Result != TempError {
				if tr.Child.Result == TempError {
					n.Result = TempError
				} else {
					n.Result = PermError
				}
			}
		}
	}
	for ; nextErr < len(errs); nextErr++ {
		se := errs[nextErr]
		n.Terms = append(n.Terms, &TermReport{Term: se.Term, Position: se.Pos, Reason: "syntax error", Networks: []string{}, Note: "syntax error: " + se.Reason})
	}
	if len(afterAll) > 0 {
		verb := "comes after %q and is never evaluated"
		if len(afterAll) > 1 {
			verb = "come after %q and are never evaluated"
		}
		w.add(FindTermsAfterAll.New(fmt.Sprintf("in the record of %s, %s "+fmt.Sprintf(verb, all.Raw), domain, strings.Join(afterAll, " ")),
			fmt.Sprintf("move %q to the end of the TXT record at %s", all.Raw, domain)).WithName(domain))
	}
	if rt := rec.Redirect; rt != nil {
		var tr *TermReport
		for _, x := range n.Terms {
			if x.Position == rt.Pos {
				tr = x
			}
		}
		if all != nil || decided {
			// pyspf counts redirect= when it reads the record, Mail::SPF
			// after any result: both count it here, where the RFC does not.
			w.strictLookups++
			w.strictRedirect = appendUnique(w.strictRedirect, fmt.Sprintf("%s (in the record of %s)", rt.Raw, domain))
		}
		switch {
		case all != nil:
			tr.Running = w.running
			tr.Note = "ignored: the record has an \"all\" mechanism (RFC 7208 §6.1)"
			w.add(FindRedirectWithAll.New(fmt.Sprintf("the record of %s has both %q and %q; the redirect is ignored", domain, rt.Raw, all.Raw),
				fmt.Sprintf("remove %q or %q from the TXT record at %s", all.Raw, rt.Raw, domain)).WithName(domain))
		case decided:
			tr.Running = w.running
			tr.Note = "never reached: an earlier term always matches"
		default:
			tr.Reached = true
			before := w.running
			w.charge(domain, rt, tr)
			w.follow(domain, rt, tr, n, path, "redirect")
			if top {
				if w.costs == nil {
					w.costs = map[*TermReport]int{}
				}
				w.costs[tr] = w.running - before
			}
			if tr.Child != nil {
				n.Result = tr.Child.Result
				if tr.Child.Result == None {
					n.Result = PermError
				}
				n.Networks = appendUnique(n.Networks, tr.Child.Networks...)
			}
		}
	} else if all == nil && (top || via == "redirect") {
		w.add(FindNoAll.New(fmt.Sprintf("the record of %s has neither \"all\" nor \"redirect=\": unlisted hosts get neutral", domain),
			fmt.Sprintf("publish %q at %s", rec.Raw+" -all", domain)).WithName(domain))
	}
}

// charge adds the term's lookup cost to the running total, as evaluation
// does (Term.LookupCost).
func (w *walker) charge(domain string, t *Term, tr *TermReport) {
	tr.Cost = t.LookupCost()
	w.running += tr.Cost
	tr.Running = w.running
	if tr.Cost > 0 && w.running > w.max && !w.limitHit {
		w.limitHit = true
		tr.Note = fmt.Sprintf("evaluation stops here with permerror: lookup %d > %d", w.running, w.max)
	}
}

func (w *walker) voidLookup(tr *TermReport, v4, v6 bool) {
	tr.VoidIPv4, tr.VoidIPv6 = v4, v6
	if v4 {
		w.voids.IPv4++
	}
	if v6 {
		w.voids.IPv6++
	}
	if !w.voidHit && w.voids.Max() > MaxVoidLookups {
		w.voidHit = true
		tr.Note = strings.TrimSpace(tr.Note + fmt.Sprintf(" evaluation stops here with permerror: void lookup %d > %d", w.voids.Max(), MaxVoidLookups))
	}
}

func (w *walker) literalTarget(domain string, t *Term) string {
	if t.Domain == nil {
		return domain
	}
	s, _ := t.Domain.expand(&macroEnv{}, domain)
	return dns.CanonicalName(truncateName(s))
}

// mechanism analyses one mechanism. It reports whether the mechanism
// matches every client (a literal exists: whose name has an address), so
// that evaluation always ends there.
func (w *walker) mechanism(domain string, t *Term, tr *TermReport, n *Node, path []string, top bool) (always bool) {
	pass := t.Qualifier == QPass
	addNets := func(nets ...string) {
		tr.Networks = appendUnique(tr.Networks, nets...)
		if pass {
			n.Networks = appendUnique(n.Networks, nets...)
		}
	}
	if t.HasMacros() {
		tr.MacroDependent = true
		w.a.MacroDependent = true
		tr.Note = "the target depends on the connection (macro " + t.Value + "): counted, but not followed"
		w.add(FindMacroCost.New(fmt.Sprintf("%q in the record of %s is built from macros; what it looks up depends on each connection", t.Raw, domain), "").WithName(domain))
		if t.Mechanism == MechPTR {
			w.add(FindPTR.New(fmt.Sprintf("the record of %s uses %q", domain, t.Raw), fmt.Sprintf("replace %q in the TXT record at %s with ip4:/ip6: terms for the sending hosts", t.Raw, domain)).WithName(domain))
		}
		return
	}
	switch t.Mechanism {
	case MechIP4, MechIP6:
		p := t.Prefix
		addNets(p.String())
		if w.inDup == 0 {
			w.nets = append(w.nets, netRef{p, domain})
		}
		if (p.Addr().Is4() && p.Bits() < 8) || (!p.Addr().Is4() && p.Bits() < 32) {
			f := FindBroadNetwork.New(fmt.Sprintf("%q in the record of %s covers %s", t.Raw, domain, describeSize(p)),
				fmt.Sprintf("replace %q in the TXT record at %s with the exact networks of your senders", t.Raw, domain)).WithName(domain)
			if p.Bits() == 0 && pass {
				f = f.WithSeverity(finding.Error)
			}
			w.add(f)
		}
	case MechA:
		name := w.literalTarget(domain, t)
		if r := queryable(name); r != "" {
			w.invalidTarget(domain, t, tr, name, r)
			return
		}
		a4, e4 := w.r.Query(w.ctx, name, dns.TypeA)
		a6, e6 := w.r.Query(w.ctx, name, dns.TypeAAAA)
		if e4 != nil || e6 != nil {
			w.dnsError(name, errors.Join(e4, e6))
			return
		}
		if a4.NotCovered || a6.NotCovered {
			tr.Note = "not checked offline: no zone file covers " + name
			w.notCovered(name, fmt.Sprintf("%q in the record of %s", t.Raw, domain))
			return
		}
		w.voidLookup(tr, a4.Void(), a6.Void())
		addNets(widen(t, append(a4.IPs(), a6.IPs()...))...)
	case MechMX:
		name := w.literalTarget(domain, t)
		if r := queryable(name); r != "" {
			w.invalidTarget(domain, t, tr, name, r)
			return
		}
		ans, err := w.r.Query(w.ctx, name, dns.TypeMX)
		if err != nil {
			w.dnsError(name, err)
			return
		}
		if ans.NotCovered {
			tr.Note = "not checked offline: no zone file covers " + name
			w.notCovered(name, fmt.Sprintf("%q in the record of %s", t.Raw, domain))
			return
		}
		w.voidLookup(tr, ans.Void(), ans.Void())
		hosts := mxHosts(ans)
		tr.AddressLookups = len(hosts)
		if len(hosts) > MaxNames {
			w.mxLimit = true
			tr.Note = fmt.Sprintf("%s has %d MX hosts; more than %d is a permerror", name, len(hosts), MaxNames)
			w.add(FindMXLimit.New(fmt.Sprintf("%q in the record of %s: %s has %d MX hosts (at most %d)", t.Raw, domain, name, len(hosts), MaxNames),
				fmt.Sprintf("replace %q in the TXT record at %s with ip4:/ip6: terms for the hosts that send mail", t.Raw, domain)).WithName(domain))
		}
		for i, h := range hosts {
			a4, e4 := w.r.Query(w.ctx, h, dns.TypeA)
			a6, e6 := w.r.Query(w.ctx, h, dns.TypeAAAA)
			if e4 != nil || e6 != nil {
				w.dnsError(h, errors.Join(e4, e6))
				continue
			}
			if a4.NotCovered || a6.NotCovered {
				w.notCovered(h, fmt.Sprintf("an MX host of %s", name))
				continue
			}
			if i < MaxNames {
				// pyspf and Mail::SPF count a host without an address of
				// the client's family as a void lookup; the RFC does not.
				if a4.Void() {
					w.strictVoids.IPv4++
					w.strictMXHosts[0] = appendUnique(w.strictMXHosts[0], h)
				}
				if a6.Void() {
					w.strictVoids.IPv6++
					w.strictMXHosts[1] = appendUnique(w.strictMXHosts[1], h)
				}
			}
			addNets(widen(t, append(a4.IPs(), a6.IPs()...))...)
		}
	case MechExists:
		name := w.literalTarget(domain, t)
		if r := queryable(name); r != "" {
			w.invalidTarget(domain, t, tr, name, r)
			return
		}
		ans, err := w.r.Query(w.ctx, name, dns.TypeA)
		if err != nil {
			w.dnsError(name, err)
			return
		}
		if ans.NotCovered {
			tr.Note = "not checked offline: no zone file covers " + name
			w.notCovered(name, fmt.Sprintf("%q in the record of %s", t.Raw, domain))
			return
		}
		w.voidLookup(tr, ans.Void(), ans.Void())
		if !ans.Void() {
			tr.Note = "the name has an address: this term matches every client, so evaluation always ends here"
			return true
		}
	case MechPTR:
		tr.Note = "whether it matches, and whether its lookup is void, depend on the client's reverse DNS"
		w.add(FindPTR.New(fmt.Sprintf("the record of %s uses %q", domain, t.Raw),
			fmt.Sprintf("replace %q in the TXT record at %s with ip4:/ip6: terms for the sending hosts", t.Raw, domain)).WithName(domain))
	case MechInclude:
		w.follow(domain, t, tr, n, path, "include")
		if tr.Child != nil && pass {
			n.Networks = appendUnique(n.Networks, tr.Child.Networks...)
		}
		if tr.Child != nil && tr.Child.Result == Pass && pass {
			w.add(FindPassAll.New(fmt.Sprintf("%q in the record of %s includes a record that passes every address", t.Raw, domain),
				fmt.Sprintf("remove %q from the TXT record at %s, or have %s end in -all or ~all", t.Raw, domain, tr.Child.Domain)).WithName(domain))
		}
	case MechAll:
	}
	return false
}

func (w *walker) invalidTarget(domain string, t *Term, tr *TermReport, name, reason string) {
	tr.Note = fmt.Sprintf("never matches: %q is not a valid domain (%s)", name, reason)
	w.add(FindInvalidDomain.New(fmt.Sprintf("%q in the record of %s names %q, which is not a valid domain: %s", t.Raw, domain, name, reason),
		fmt.Sprintf("correct the domain in %q in the TXT record at %s", t.Raw, domain)).WithName(domain))
}

// follow analyses an include or redirect target as a child node.
func (w *walker) follow(domain string, t *Term, tr *TermReport, n *Node, path []string, via string) {
	if t.HasMacros() {
		tr.MacroDependent = true
		w.a.MacroDependent = true
		tr.Note = "the target depends on the connection (macro " + t.Value + "): counted, but not followed"
		w.add(FindMacroCost.New(fmt.Sprintf("%q in the record of %s is built from macros; which record it reaches depends on each connection", t.Raw, domain), "").WithName(domain))
		return
	}
	target := w.literalTarget(domain, t)
	if w.running > 3*w.max || len(path) > maxNest {
		tr.Note = fmt.Sprintf("not followed: evaluation stopped long before (lookup %d > %d)", w.running, w.max)
		return
	}
	for _, p := range path {
		if p == target {
			tr.Child = &Node{Domain: target, Via: via, Status: "loop", Error: "already being evaluated: " + strings.Join(append(path, target), " -> "), Result: PermError, Terms: []*TermReport{}, Networks: []string{}}
			w.add(FindIncludeLoop.New(fmt.Sprintf("%q in the record of %s leads back to %s: %s", t.Raw, domain, target, strings.Join(append(path, target), " -> ")),
				fmt.Sprintf("remove %q from the TXT record at %s", t.Raw, domain)).WithName(domain))
			// Evaluation would loop until the lookup limit; count no further.
			return
		}
	}
	dup := false
	if via == "include" && w.inDup == 0 {
		w.includes[target]++
		if w.includes[target] == 2 {
			w.add(FindDuplicateInclude.New(fmt.Sprintf("%s is included more than once; each time it is evaluated and counted again", target),
				fmt.Sprintf("remove the repeated %q (in the record of %s)", t.Raw, domain)).WithName(domain))
		}
		dup = w.includes[target] > 1
	}
	if dup {
		// Walk it again (evaluation does, and counts it again), but do not
		// report what its subtree repeats.
		w.inDup++
		defer func() { w.inDup-- }()
	}
	tr.Child = w.node(target, via, path)
	switch tr.Child.Status {
	case "none", "invalid":
		w.add(FindTargetWithoutRecord.New(fmt.Sprintf("%q in the record of %s: %s has no SPF record (%s); evaluation reaching it ends in permerror", t.Raw, domain, target, tr.Child.Error),
			fmt.Sprintf("correct or remove %q in the TXT record at %s", t.Raw, domain)).WithName(domain))
	}
}

func (w *walker) allFindings(domain string, t *Term) {
	switch t.Qualifier {
	case QPass:
		w.add(FindPassAll.New(fmt.Sprintf("the record of %s ends in %q: every host on the Internet passes", domain, t.Raw),
			fmt.Sprintf("replace %q with \"-all\" (or \"~all\") in the TXT record at %s", t.Raw, domain)).WithName(domain))
	case QNeutral:
		w.add(FindNeutralAll.New(fmt.Sprintf("the record of %s ends in \"?all\": unlisted hosts get neutral", domain),
			fmt.Sprintf("replace \"?all\" with \"~all\", then \"-all\", in the TXT record at %s", domain)).WithName(domain))
	}
}

// checkAnswer looks at the TXT answer's shape: strings over 255 octets and
// a size that risks UDP truncation.
func (w *walker) checkAnswer(domain string, a *dns.Answer) {
	size := 12 + len(domain) + 2 + 4
	for _, r := range a.Records {
		if r.Type != dns.TypeTXT {
			continue
		}
		rd := 0
		for _, s := range r.Strings {
			rd += 1 + len(s)
			if len(s) > 255 {
				w.add(FindLongString.New(fmt.Sprintf("a TXT string at %s is %d octets long; at most 255 fit in one string", domain, len(s)),
					fmt.Sprintf("publish the record at %s as several quoted strings: %s", domain, ZoneStrings(strings.Join(r.Strings, "")))).WithName(domain))
			}
		}
		size += 2 + 10 + rd
	}
	if size > 512 {
		w.add(FindLargeAnswer.New(fmt.Sprintf("the TXT answer for %s is about %d octets (over 512): resolvers without EDNS0 must retry over TCP", domain, size),
			fmt.Sprintf("shorten the SPF record at %s or move other TXT records away from that name", domain)).WithName(domain))
	}
}

// checkVersion reports TXT records that were meant as SPF but are not
// selected as such.
func (w *walker) checkVersion(domain string, a *dns.Answer, selected int) {
	for _, txt := range a.TXT() {
		if IsSPF(txt) {
			continue
		}
		t := strings.ToLower(strings.TrimLeft(txt, " \t\"'"))
		if strings.HasPrefix(t, "spf2.0/") {
			continue // Sender ID (RFC 4406), not SPF
		}
		if strings.HasPrefix(t, "v=spf") || strings.HasPrefix(t, "spf1") || strings.HasPrefix(t, "v =spf") || strings.HasPrefix(t, "v= spf") ||
			(strings.HasPrefix(t, "v=spf1") && len(t) > 6) {
			msg := fmt.Sprintf("the TXT record %q at %s looks like SPF but does not start with \"v=spf1 \", so receivers ignore it", abbreviate2(txt), domain)
			if selected > 0 {
				msg += " (another record is used)"
			}
			w.add(FindBadVersion.New(msg, fmt.Sprintf("rewrite it to start with exactly \"v=spf1 \" (or delete it) at %s", domain)).WithName(domain))
		}
	}
}

func abbreviate2(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func (w *walker) type99(domain string) {
	ans, err := w.r.Query(w.ctx, domain, dns.TypeSPF)
	if err != nil || ans == nil {
		return
	}
	for _, r := range ans.Records {
		if r.Type == dns.TypeSPF {
			w.add(FindType99.New(fmt.Sprintf("%s still publishes a type-99 SPF record: %q", domain, strings.Join(r.Strings, "")),
				fmt.Sprintf("delete the SPF (type 99) record at %s; keep only the TXT record", domain)))
			return
		}
	}
}

// merge analyses the record that replaces a domain's several records and
// keeps it in the analysis (Analysis.Merged).
func (w *walker) merge(domain string, records []string) *MergedRecord {
	rec, notes := MergeRecords(records)
	m := &MergedRecord{Record: rec, Notes: notes, Costs: []TermCost{}}
	ma, err := AnalyzeRecord(w.ctx, w.r, domain, rec, AnalyzeOptions{MaxLookups: w.max})
	if err == nil {
		m.Lookups, m.VoidLookups, m.Costs = ma.Lookups, ma.VoidLookups, ma.Costs
		w.strictLookups += ma.StrictReceivers.Lookups - ma.Lookups
		w.strictVoids.IPv4 += ma.StrictReceivers.VoidLookups.IPv4 - ma.VoidLookups.IPv4
		w.strictVoids.IPv6 += ma.StrictReceivers.VoidLookups.IPv6 - ma.VoidLookups.IPv6
	}
	w.a.Merged = m
	return m
}

// totals adds the lookup-count findings, naming the terms that cost most.
// With several records, the counts are those of the merged record the fix
// proposes.
func (w *walker) totals() {
	a := w.a
	merged := a.Tree.Status == "multiple" && a.Merged != nil
	if a.Tree.Status != "ok" && a.Tree.Status != "syntax-error" && !merged {
		return
	}
	what := "the SPF record of " + a.Domain
	if merged {
		what = fmt.Sprintf("the merged SPF record of %s (%q, which replaces its %d records)", a.Domain, a.Merged.Record, len(a.Tree.Records))
	}
	switch {
	case a.Lookups > w.max:
		a.Findings = append(a.Findings, FindLookupLimit.New(
			fmt.Sprintf("evaluating %s needs %d DNS lookups; the limit is %d, so receivers return permerror", what, a.Lookups, w.max),
			fmt.Sprintf("reduce the lookups at %s by %d: %s", a.Domain, a.Lookups-w.max, w.costliest())))
	case a.Lookups >= w.max-1:
		a.Findings = append(a.Findings, FindLookupHeadroom.New(
			fmt.Sprintf("evaluating %s needs %d of %d DNS lookups: no headroom if a provider adds one", what, a.Lookups, w.max),
			fmt.Sprintf("bring the count at %s to 8 or fewer: %s", a.Domain, w.costliest())))
	}
	defer func() {
		if !merged {
			w.strictFindings()
		}
	}()
	if v := a.VoidLookups; v.Max() > MaxVoidLookups {
		fam := "IPv4 and IPv6 clients"
		switch {
		case v.IPv4 <= MaxVoidLookups:
			fam = "IPv6 clients"
		case v.IPv6 <= MaxVoidLookups:
			fam = "IPv4 clients"
		}
		var voidTerms []string
		for _, root := range append([]*Node{a.Tree}, a.Tree.Alternatives...) {
			walkTerms(root, func(n *Node, tr *TermReport) {
				if tr.VoidIPv4 || tr.VoidIPv6 {
					voidTerms = appendUnique(voidTerms, fmt.Sprintf("%s (in %s)", tr.Term, n.Domain))
				}
			})
		}
		a.Findings = append(a.Findings, FindVoidLimit.New(
			fmt.Sprintf("%s makes %d void lookups for %s; more than %d is a permerror", what, v.Max(), fam, MaxVoidLookups),
			"remove or correct the terms whose lookups return nothing: "+strings.Join(voidTerms, ", ")))
	}
}

// strictFindings warns when the record is within the limits as RFC 7208
// words them but over them as pyspf and Mail::SPF count (ReceiverCounts).
func (w *walker) strictFindings() {
	a := w.a
	if a.Lookups > w.max || a.VoidLookups.Max() > MaxVoidLookups || a.MacroDependent || w.mxLimit || a.Result == PermError {
		return
	}
	sc := a.StrictReceivers
	var why, fix []string
	if sc.Lookups > w.max {
		why = append(why, fmt.Sprintf("they count a redirect= that is never followed (%s) as a lookup: %d lookups in all, over the limit of %d", strings.Join(w.strictRedirect, ", "), sc.Lookups, w.max))
		fix = append(fix, "remove "+strings.Join(w.strictRedirect, ", ")+": the record ends in all, so the redirect is ignored anyway")
	}
	for i, fam := range []struct {
		name, rr string
		n        int
	}{{"IPv4", "A", sc.VoidLookups.IPv4}, {"IPv6", "AAAA", sc.VoidLookups.IPv6}} {
		if fam.n <= MaxVoidLookups {
			continue
		}
		hosts := strings.Join(w.strictMXHosts[i], ", ")
		why = append(why, fmt.Sprintf("for %s clients they count each MX host without an %s record (%s) as a void lookup: %d void lookups in all, over the limit of %d", fam.name, fam.rr, hosts, fam.n, MaxVoidLookups))
		fix = append(fix, fmt.Sprintf("publish %s records for %s, or replace the mx terms with ip4:/ip6: terms for those hosts", fam.rr, hosts))
	}
	if len(why) == 0 {
		return
	}
	a.Findings = append(a.Findings, FindReceiverCompat.New(
		fmt.Sprintf("%s passes the limits of RFC 7208, but receivers running pyspf (policyd-spf) or Mail::SPF (SpamAssassin) return permerror for it: %s", a.Domain, strings.Join(why, "; ")),
		strings.Join(fix, "; ")))
}

// termCosts lists the top-level terms that cost lookups, costliest first.
func (w *walker) termCosts() []TermCost {
	list := []TermCost{}
	for _, tr := range w.a.Tree.Terms {
		c := tr.Cost
		if v, ok := w.costs[tr]; ok {
			c = v
		}
		if c > 0 {
			list = append(list, TermCost{tr.Term, c})
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Lookups > list[j].Lookups })
	return list
}

// costliest names the top-level terms that cost most.
func (w *walker) costliest() string {
	return CostSummary(w.a.Costs, 4) + "; replace a and mx with ip4:/ip6:, drop unused includes, or flatten (emailauth spf flatten " + w.a.Domain + ")"
}

// CostSummary names the n costliest terms: "include:a.example (4), mx (1)".
func CostSummary(costs []TermCost, n int) string {
	var parts []string
	for i, x := range costs {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s costs %d", x.Term, x.Lookups))
	}
	return strings.Join(parts, ", ")
}

func walkTerms(n *Node, fn func(*Node, *TermReport)) {
	if n == nil {
		return
	}
	for _, tr := range n.Terms {
		fn(n, tr)
		walkTerms(tr.Child, fn)
	}
}

func (w *walker) duplicateNetworks() {
	reported := 0
	for i := 0; i < len(w.nets) && reported < 20; i++ {
		for j := 0; j < len(w.nets); j++ {
			if i == j {
				continue
			}
			a, b := w.nets[i], w.nets[j]
			if a.prefix.Addr().Is4() != b.prefix.Addr().Is4() {
				continue
			}
			same := a.prefix == b.prefix
			inside := b.prefix.Bits() < a.prefix.Bits() && b.prefix.Contains(a.prefix.Addr())
			if (same && i > j) || inside {
				how := "is listed again"
				if !same {
					how = "lies inside " + b.prefix.String()
				}
				w.add(FindDuplicateNetwork.New(fmt.Sprintf("%s (in the record of %s) %s (in the record of %s)", a.prefix, a.where, how, b.where),
					fmt.Sprintf("remove %s from the record of %s", a.prefix, a.where)).WithName(a.where))
				reported++
				break
			}
		}
	}
}

func widen(t *Term, addrs []netip.Addr) []string {
	var out []string
	for _, a := range addrs {
		a = a.Unmap()
		bits := 128
		if a.Is4() {
			bits = 32
			if t.CIDR4 >= 0 {
				bits = t.CIDR4
			}
		} else if t.CIDR6 >= 0 {
			bits = t.CIDR6
		}
		if p, err := a.Prefix(bits); err == nil {
			out = append(out, p.String())
		}
	}
	return out
}

func appendUnique(list []string, add ...string) []string {
	for _, s := range add {
		dup := false
		for _, x := range list {
			if x == s {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, s)
		}
	}
	return list
}

func describeSize(p netip.Prefix) string {
	if p.Addr().Is4() {
		return fmt.Sprintf("2^%d IPv4 addresses (/%d)", 32-p.Bits(), p.Bits())
	}
	return fmt.Sprintf("a /%d IPv6 network", p.Bits())
}

func quoteAll(ss []string) string {
	var q []string
	for _, s := range ss {
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, " and ")
}

// AnalyzeRecord analyses record as if it were published at domain: the
// includes and redirects it names are resolved through r.
func AnalyzeRecord(ctx context.Context, r dns.Resolver, domain, record string, opts AnalyzeOptions) (*Analysis, error) {
	d := dns.CanonicalName(strings.TrimSpace(domain))
	opts.SkipType99 = true
	return Analyze(ctx, &overlay{Resolver: r, txt: map[string]string{d: record}}, d, opts)
}

// overlay answers the TXT question for some names with given records.
type overlay struct {
	dns.Resolver
	txt map[string]string
}

func (o *overlay) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	n := dns.CanonicalName(name)
	if rec, ok := o.txt[n]; ok && qtype == dns.TypeTXT {
		return &dns.Answer{Name: n, Type: qtype, Source: "proposed record", Records: []dns.Record{{
			Name: n, Type: dns.TypeTXT, TTL: 300, Strings: SplitStrings(rec), Data: ZoneStrings(rec),
		}}}, nil
	}
	return o.Resolver.Query(ctx, name, qtype)
}
