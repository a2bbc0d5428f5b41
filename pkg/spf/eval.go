package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Options tune check_host(). The zero value follows RFC 7208's defaults.
type Options struct {
	// Receiver is what %{r} expands to: the receiving MTA's domain.
	// Default "unknown", as RFC 7208 §7.3 permits.
	Receiver string
	// Now is the clock for %{t}. Default time.Now.
	Now func() time.Time
	// DefaultExplanation is the explanation of a fail when the record has
	// no usable exp=. Default empty.
	DefaultExplanation string
	// MaxLookups and MaxVoidLookups override the limits of 10 and 2
	// (RFC 7208 §4.6.4 permits configuring the void limit). 0 = default.
	MaxLookups     int
	MaxVoidLookups int
	// Trace records every step and query in Result.Trace.
	Trace bool
}

// Step is one line of an evaluation trace.
type Step struct {
	// Depth is the include/redirect nesting level, 0 for the checked domain.
	Depth int `json:"depth"`
	// Domain is the domain whose record is being evaluated.
	Domain string `json:"domain"`
	// Term is the term being evaluated, when there is one.
	Term string `json:"term,omitempty"`
	// Query is a DNS question asked ("example.com TXT"), when there is one.
	Query string `json:"query,omitempty"`
	// Message says what happened.
	Message string `json:"message"`
	// Lookups and VoidLookups are the running counts after this step.
	Lookups     int `json:"lookups"`
	VoidLookups int `json:"void_lookups"`
}

func (s Step) String() string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", s.Depth))
	b.WriteString(s.Domain)
	if s.Term != "" {
		fmt.Fprintf(&b, " [%s]", s.Term)
	}
	if s.Query != "" {
		fmt.Fprintf(&b, " ? %s", s.Query)
	}
	fmt.Fprintf(&b, ": %s (lookups %d, void %d)", s.Message, s.Lookups, s.VoidLookups)
	return b.String()
}

// Result is the outcome of check_host().
type Result struct {
	// Result is the check_host() result code.
	Result Code `json:"result"`
	// Mechanism is the term that decided the result ("-all",
	// "include:_spf.example.com"), as written in the record of MatchDomain;
	// empty when no mechanism matched (the default neutral) or on error.
	Mechanism string `json:"mechanism"`
	// MatchDomain is the domain whose record holds Mechanism (after
	// redirects).
	MatchDomain string `json:"match_domain,omitempty"`
	// Explanation is the exp= text (or the default explanation) on fail.
	Explanation string `json:"explanation"`
	// Domain is the domain check_host() was called with.
	Domain string `json:"domain"`
	// Lookups is the number of DNS-querying terms evaluated; VoidLookups the
	// number of lookups answered NXDOMAIN or NODATA.
	Lookups     int `json:"lookups"`
	VoidLookups int `json:"void_lookups"`
	// Error says why the result is permerror or temperror (or none).
	Error string `json:"error,omitempty"`
	// Trace is every step, when Options.Trace was set.
	Trace []Step `json:"trace"`
}

// evalError ends an evaluation with temperror or permerror.
type evalError struct {
	code Code
	msg  string
}

func (e *evalError) Error() string { return e.msg }

func permErr(format string, args ...any) error {
	return &evalError{PermError, fmt.Sprintf(format, args...)}
}
func tempErr(format string, args ...any) error {
	return &evalError{TempError, fmt.Sprintf(format, args...)}
}

type evaluator struct {
	ctx     context.Context
	r       dns.Resolver
	ip      netip.Addr
	env     macroEnv
	opts    Options
	maxLook int
	maxVoid int
	lookups int
	voids   int
	trace   []Step
	depth   int
	nest    int // check_host recursion depth (includes and redirects)
	ptrDone bool
	ptrName string
}

// CheckMailFrom runs check_host() for an SMTP connection as RFC 7208 §2.4
// says: the MAIL FROM identity when sender is not empty, otherwise (the null
// reverse-path) the HELO identity, with sender "postmaster@HELO".
func CheckMailFrom(ctx context.Context, r dns.Resolver, ip netip.Addr, sender, helo string, opts Options) *Result {
	if sender == "" {
		return CheckHost(ctx, r, ip, helo, "postmaster@"+helo, helo, opts)
	}
	_, dom := splitSender(sender)
	return CheckHost(ctx, r, ip, dom, sender, helo, opts)
}

// CheckHost is check_host(ip, domain, sender) of RFC 7208 §4; helo is the
// HELO/EHLO name, for %{h}.
func CheckHost(ctx context.Context, r dns.Resolver, ip netip.Addr, domain, sender, helo string, opts Options) *Result {
	e := &evaluator{ctx: ctx, r: r, ip: ip.Unmap(), opts: opts, maxLook: opts.MaxLookups, maxVoid: opts.MaxVoidLookups}
	if e.maxLook <= 0 {
		e.maxLook = MaxLookups
	}
	if e.maxVoid <= 0 {
		e.maxVoid = MaxVoidLookups
	}
	local, sdom := splitSender(sender)
	recv := opts.Receiver
	if recv == "" {
		recv = "unknown"
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	full := sender
	if len(sender) != len(local)+1+len(sdom) || !strings.HasPrefix(sender, local) || !strings.HasSuffix(sender, sdom) {
		full = local + "@" + sdom
	}
	e.env = macroEnv{sender: full, local: local, domain: sdom, helo: helo, ip: e.ip, recv: recv, now: now().Unix(), ptr: e.validatedName}
	res := &Result{Domain: domain}
	out := e.checkHost(dns.CanonicalName(domain))
	res.Result, res.Explanation = out.code, out.exp
	if out.match != nil {
		res.Mechanism = out.match.Raw
		res.MatchDomain = out.matchDomain
	}
	if out.err != nil {
		res.Error = out.err.Error()
	}
	res.Lookups, res.VoidLookups = e.lookups, e.voids
	res.Trace = e.trace
	if res.Trace == nil {
		res.Trace = []Step{}
	}
	return res
}

func (e *evaluator) step(domain string, t *Term, query, format string, args ...any) {
	if !e.opts.Trace {
		return
	}
	s := Step{Depth: e.depth, Domain: domain, Query: query, Message: fmt.Sprintf(format, args...), Lookups: e.lookups, VoidLookups: e.voids}
	if t != nil {
		s.Term = t.Raw
	}
	e.trace = append(e.trace, s)
}

type outcome struct {
	code        Code
	exp         string
	match       *Term
	matchDomain string
	err         error
}

func errOutcome(err error) outcome {
	var ee *evalError
	if errors.As(err, &ee) {
		return outcome{code: ee.code, err: err}
	}
	return outcome{code: TempError, err: err}
}

// FetchResult is what fetching a domain's SPF record found.
type FetchResult struct {
	// Record is the parsed record; nil unless exactly one valid record.
	Record *Record
	// Records are the texts of every SPF record found (v=spf1 ...).
	Records []string
	// Answer is the TXT answer.
	Answer *dns.Answer
	// Code is None (no record, or the name does not exist), TempError (the
	// lookup failed) or PermError (several records, or a syntax error);
	// empty when Record is set.
	Code Code
	// Err says why, when Code is set.
	Err error
}

// RecordError is a syntax error in the record of a domain.
type RecordError struct {
	Domain string
	Err    *SyntaxError
}

func (e *RecordError) Error() string {
	se := e.Err
	if se.Term == "" {
		return fmt.Sprintf("spf: the record of %s: syntax error at position %d: %s", e.Domain, se.Pos, se.Reason)
	}
	return fmt.Sprintf("spf: the record of %s: syntax error in %q at position %d: %s", e.Domain, se.Term, se.Pos, se.Reason)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Fetch looks up and parses the SPF record of domain (RFC 7208 §4.4, §4.5).
func Fetch(ctx context.Context, r dns.Resolver, domain string) *FetchResult {
	fr := &FetchResult{}
	fetch(ctx, r, domain, fr, false)
	return fr
}

// fetch is Fetch into fr. With shared, the parsed record may come from
// (and goes to) the cache of parsed records, and must not be modified.
func fetch(ctx context.Context, r dns.Resolver, domain string, fr *FetchResult, shared bool) {
	ans, err := r.Query(ctx, domain, dns.TypeTXT)
	fr.Answer = ans
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			fr.Code, fr.Err = None, fmt.Errorf("spf: %s: %w", domain, err)
			return
		}
		fr.Code, fr.Err = TempError, fmt.Errorf("spf: looking up the SPF record of %s: %w", domain, err)
		return
	}
	// An evaluation (shared) needs the one record, not the list.
	first, n := "", 0
	for i := range ans.Records {
		rr := &ans.Records[i]
		if rr.Type != dns.TypeTXT && rr.Type != dns.TypeSPF {
			continue
		}
		txt := ""
		if len(rr.Strings) == 1 {
			txt = rr.Strings[0] // most records: one string, no copy
		} else {
			txt = strings.Join(rr.Strings, "")
		}
		if IsSPF(txt) {
			if n == 0 {
				first = txt
			}
			n++
			if !shared {
				fr.Records = append(fr.Records, txt)
			}
		}
	}
	switch {
	case ans.NXDomain():
		fr.Code, fr.Err = None, fmt.Errorf("spf: %s does not exist (NXDOMAIN)", domain)
	case n == 0:
		fr.Code, fr.Err = None, fmt.Errorf("spf: %s has no SPF record", domain)
	case n > 1:
		fr.Code, fr.Err = PermError, fmt.Errorf("spf: %s has %d SPF records; there must be exactly one", domain, n)
	default:
		var rec *Record
		var perr error
		if shared {
			rec, perr = parseShared(first)
		} else {
			rec, perr = Parse(first)
		}
		if perr != nil {
			fr.Code, fr.Err = PermError, &RecordError{Domain: domain, Err: perr.(*SyntaxError)}
		} else {
			fr.Record = rec
		}
	}
}

// The parsed records of evaluations, by text: a record shared by many
// domains (a platform's include) or asked for again is parsed once, which
// was two fifths of an evaluation's allocations. Bounded by the text held;
// when full it starts again empty. Only evaluations use it: they do not
// modify a Record.
var (
	parsedRecords     sync.Map // string -> *Record
	parsedRecordBytes atomic.Int64
)

const parsedRecordMax = 4 << 20

func parseShared(txt string) (*Record, error) {
	if v, ok := parsedRecords.Load(txt); ok {
		return v.(*Record), nil
	}
	rec, err := Parse(txt)
	if err != nil {
		return nil, err
	}
	if parsedRecordBytes.Add(int64(len(txt))*4+512) > parsedRecordMax {
		parsedRecords.Clear()
		parsedRecordBytes.Store(0)
	}
	parsedRecords.Store(txt, rec)
	return rec, nil
}

// maxNest bounds include/redirect recursion even when MaxLookups is raised.
const maxNest = 64

func (e *evaluator) checkHost(domain string) outcome {
	e.nest++
	defer func() { e.nest-- }()
	if e.nest > maxNest {
		return errOutcome(permErr("spf: includes and redirects nested more than %d deep at %s", maxNest, domain))
	}
	if reason := checkDomain(domain); reason != "" {
		if e.opts.Trace {
			e.step(domain, nil, "", "result none: %q is malformed: %s (RFC 7208 §4.3)", domain, reason)
		}
		return outcome{code: None, err: fmt.Errorf("spf: %q is not a valid domain: %s", domain, reason)}
	}
	var fr FetchResult
	fetch(e.ctx, e.r, domain, &fr, true)
	if e.opts.Trace {
		e.step(domain, nil, domain+" TXT", "%s", fetchSummary(&fr))
	}
	if fr.Record == nil {
		return outcome{code: fr.Code, err: fr.Err}
	}
	rec := fr.Record
	for _, t := range rec.Terms {
		if !t.IsMechanism() {
			continue
		}
		matched, err := e.evalMechanism(domain, t)
		if err != nil {
			if e.opts.Trace {
				e.step(domain, t, "", "%s", err)
			}
			return errOutcome(err)
		}
		if !matched {
			continue
		}
		code := t.Qualifier.Result()
		if e.opts.Trace {
			e.step(domain, t, "", "matched: result %s", code)
		}
		out := outcome{code: code, match: t, matchDomain: domain}
		if code == Fail {
			out.exp = e.explain(domain, rec)
		}
		return out
	}
	if rec.Redirect != nil {
		t := rec.Redirect
		if err := e.count(domain, t); err != nil {
			return errOutcome(err)
		}
		target, err := e.target(domain, t)
		if err != nil {
			return errOutcome(err)
		}
		if e.opts.Trace {
			e.step(domain, t, "", "no mechanism matched: following redirect to %s", target)
		}
		if reason := checkDomain(target); reason != "" {
			err := permErr("spf: redirect target %q of %s is malformed: %s", target, domain, reason)
			if e.opts.Trace {
				e.step(domain, t, "", "%s", err)
			}
			return errOutcome(err)
		}
		out := e.checkHost(target)
		if out.code == None {
			err := permErr("spf: redirect target %s of %s has no SPF record", target, domain)
			if e.opts.Trace {
				e.step(domain, t, "", "%s", err)
			}
			return errOutcome(err)
		}
		return out
	}
	if e.opts.Trace {
		e.step(domain, nil, "", "no mechanism matched and no redirect: result neutral")
	}
	return outcome{code: Neutral}
}

func fetchSummary(fr *FetchResult) string {
	if fr.Record != nil {
		return fmt.Sprintf("record %q", fr.Record.Raw)
	}
	return fmt.Sprintf("result %s: %v", fr.Code, fr.Err)
}

// count charges t against the lookup limit.
func (e *evaluator) count(domain string, t *Term) error {
	if t.LookupCost() == 0 {
		return nil
	}
	e.lookups += t.LookupCost()
	if e.lookups > e.maxLook {
		return permErr("spf: too many DNS lookups (%d > %d) at %q in the record of %s", e.lookups, e.maxLook, t.Raw, domain)
	}
	return nil
}

// void counts a void lookup.
func (e *evaluator) void(domain string, t *Term) error {
	e.voids++
	if e.voids > e.maxVoid {
		return permErr("spf: too many void DNS lookups (%d > %d) at %q in the record of %s", e.voids, e.maxVoid, t.Raw, domain)
	}
	return nil
}

// target expands the term's domain-spec (or returns the current domain).
func (e *evaluator) target(domain string, t *Term) (string, error) {
	if t.Domain == nil {
		return domain, nil
	}
	s, err := t.Domain.expand(&e.env, domain)
	if errors.Is(err, errTooLong) {
		if e.opts.Trace {
			e.step(domain, t, "", "%v: the name is invalid", err)
		}
		return "", nil // invalid: no match, or permerror for include and redirect
	}
	if err != nil {
		return "", err
	}
	return dns.CanonicalName(truncateName(s)), nil
}

// queryable reports whether an expanded target can be asked; a target made
// invalid by a macro does not match (RFC 7208 §4.8; the OpenSPF suite's
// "invalid-hello-macro").
func queryable(name string) string {
	if r := checkDomain(name); r != "" {
		return r
	}
	dot := strings.LastIndexByte(name, '.')
	if !isTopLabel(name[dot+1:]) {
		return fmt.Sprintf("the top-level label %q is not valid", name[dot+1:])
	}
	return ""
}

func (e *evaluator) query(domain string, t *Term, name string, qtype uint16) (*dns.Answer, error) {
	var q string
	if e.opts.Trace {
		q = name + " " + dns.TypeString(qtype)
	}
	ans, err := e.r.Query(e.ctx, name, qtype)
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			if e.opts.Trace {
				e.step(domain, t, q, "the name cannot be asked: %v", err)
			}
			return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain}, nil
		}
		if e.opts.Trace {
			e.step(domain, t, q, "DNS failure: %v", err)
		}
		return nil, tempErr("spf: %s %s (for %q in the record of %s): %v", name, dns.TypeString(qtype), t.Raw, domain, err)
	}
	if e.opts.Trace {
		e.step(domain, t, q, "%s", answerSummary(ans))
	}
	return ans, nil
}

func answerSummary(a *dns.Answer) string {
	switch {
	case a.NXDomain():
		return "NXDOMAIN"
	case a.NoData():
		return "NODATA"
	}
	var parts []string
	for _, r := range a.Records {
		switch {
		case r.IP.IsValid():
			parts = append(parts, r.IP.String())
		case r.Target != "":
			parts = append(parts, r.Target)
		case r.Strings != nil:
			parts = append(parts, fmt.Sprintf("%q", strings.Join(r.Strings, "")))
		default:
			parts = append(parts, r.Data)
		}
	}
	return strings.Join(parts, ", ")
}

func (e *evaluator) addrType() uint16 {
	if e.ip.Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

// matchAddrs reports whether any address, widened to the term's prefix
// length, contains the client address.
func (e *evaluator) matchAddrs(t *Term, addrs []netip.Addr) bool {
	for _, a := range addrs {
		if matchCIDR(t, a, e.ip) {
			return true
		}
	}
	return false
}

func matchCIDR(t *Term, a, ip netip.Addr) bool {
	a = a.Unmap()
	if a.Is4() != ip.Is4() {
		return false
	}
	bits := 128
	if a.Is4() {
		bits = 32
		if t.CIDR4 >= 0 {
			bits = t.CIDR4
		}
	} else if t.CIDR6 >= 0 {
		bits = t.CIDR6
	}
	p, err := a.Prefix(bits)
	return err == nil && p.Contains(ip)
}

func (e *evaluator) evalMechanism(domain string, t *Term) (bool, error) {
	if err := e.ctx.Err(); err != nil {
		return false, tempErr("spf: %v", err)
	}
	switch t.Mechanism {
	case MechAll:
		return true, nil
	case MechIP4, MechIP6:
		return t.Prefix.Contains(e.ip), nil
	}
	if err := e.count(domain, t); err != nil {
		return false, err
	}
	name, err := e.target(domain, t)
	if err != nil {
		return false, err
	}
	if t.Mechanism == MechInclude {
		return e.evalInclude(domain, t, name)
	}
	if t.Mechanism == MechPTR {
		return e.evalPTR(domain, t, name)
	}
	if reason := queryable(name); reason != "" {
		if e.opts.Trace {
			e.step(domain, t, "", "no match: the expanded name %q is not a valid domain (%s)", name, reason)
		}
		return false, nil
	}
	switch t.Mechanism {
	case MechA:
		ans, err := e.query(domain, t, name, e.addrType())
		if err != nil {
			return false, err
		}
		if ans.Void() {
			return false, e.void(domain, t)
		}
		return e.matchAddrs(t, ans.IPs()), nil
	case MechExists:
		ans, err := e.query(domain, t, name, dns.TypeA)
		if err != nil {
			return false, err
		}
		if ans.Void() {
			return false, e.void(domain, t)
		}
		return len(ans.IPs()) > 0, nil
	case MechMX:
		ans, err := e.query(domain, t, name, dns.TypeMX)
		if err != nil {
			return false, err
		}
		if ans.Void() {
			return false, e.void(domain, t)
		}
		hosts := mxHosts(ans)
		if len(hosts) > MaxNames {
			return false, permErr("spf: %q in the record of %s: %s has %d MX hosts; at most %d may be looked up (RFC 7208 §4.6.4)", t.Raw, domain, name, len(hosts), MaxNames)
		}
		for _, h := range hosts {
			a, err := e.query(domain, t, h, e.addrType())
			if err != nil {
				return false, err
			}
			if e.matchAddrs(t, a.IPs()) {
				return true, nil
			}
		}
		return false, nil
	}
	return false, nil
}

// mxHosts returns the MX targets, skipping a null MX (".").
func mxHosts(a *dns.Answer) []string {
	var out []string
	for _, r := range a.Records {
		if r.Type == dns.TypeMX && r.Target != "." && r.Target != "" {
			out = append(out, r.Target)
		}
	}
	return out
}

func (e *evaluator) evalInclude(domain string, t *Term, target string) (bool, error) {
	if e.opts.Trace {
		e.step(domain, t, "", "including %s", target)
	}
	e.depth++
	out := e.checkHost(target)
	e.depth--
	switch out.code {
	case Pass:
		return true, nil
	case Fail, SoftFail, Neutral:
		return false, nil
	case TempError:
		return false, &evalError{TempError, out.err.Error()}
	case None:
		return false, permErr("spf: include target %s (in the record of %s) has no SPF record: %v", target, domain, out.err)
	}
	return false, &evalError{PermError, out.err.Error()}
}

// reverseName returns the in-addr.arpa or ip6.arpa name of ip.
func reverseName(ip netip.Addr) string {
	if ip.Is4() {
		a := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", a[3], a[2], a[1], a[0])
	}
	const hexdig = "0123456789abcdef"
	a := ip.As16()
	b := make([]byte, 0, 73)
	for i := len(a) - 1; i >= 0; i-- {
		b = append(b, hexdig[a[i]&0xf], '.', hexdig[a[i]>>4], '.')
	}
	return string(b) + "ip6.arpa"
}

// ptrLookup returns up to MaxNames names the client address points to,
// whether the lookup was void, and a DNS error.
func (e *evaluator) ptrLookup(domain string, t *Term) ([]string, bool, error) {
	rev := reverseName(e.ip)
	ans, err := e.r.Query(e.ctx, rev, dns.TypePTR)
	if err != nil {
		if e.opts.Trace {
			e.step(domain, t, rev+" PTR", "DNS failure: %v", err)
		}
		return nil, false, err
	}
	if e.opts.Trace {
		e.step(domain, t, rev+" PTR", "%s", answerSummary(ans))
	}
	var names []string
	for _, r := range ans.Records {
		if r.Type == dns.TypePTR && r.Target != "" && r.Target != "." {
			names = append(names, r.Target)
		}
	}
	if len(names) > MaxNames {
		names = names[:MaxNames]
	}
	return names, ans.Void(), nil
}

// validates reports whether name's addresses include the client address.
func (e *evaluator) validates(domain string, t *Term, name string) bool {
	q := name + " " + dns.TypeString(e.addrType())
	ans, err := e.r.Query(e.ctx, name, e.addrType())
	if err != nil {
		if e.opts.Trace {
			e.step(domain, t, q, "DNS failure, name skipped: %v", err)
		}
		return false
	}
	for _, a := range ans.IPs() {
		if a.Unmap() == e.ip {
			if e.opts.Trace {
				e.step(domain, t, q, "%s: validated", answerSummary(ans))
			}
			return true
		}
	}
	if e.opts.Trace {
		e.step(domain, t, q, "%s: not validated", answerSummary(ans))
	}
	return false
}

func isSubdomain(name, target string) bool {
	return name == target || strings.HasSuffix(name, "."+target)
}

func (e *evaluator) evalPTR(domain string, t *Term, target string) (bool, error) {
	names, void, err := e.ptrLookup(domain, t)
	if err != nil {
		return false, nil // RFC 7208 §5.5: a DNS error makes ptr not match
	}
	if void {
		return false, e.void(domain, t)
	}
	for _, n := range names {
		if isSubdomain(n, target) && e.validates(domain, t, n) {
			return true, nil
		}
	}
	return false, nil
}

// validatedName is %{p} (RFC 7208 §7.3): a name the client address points
// to whose addresses include it, preferring the current domain or a
// subdomain of it; "unknown" when none. Its PTR and address lookups are not
// counted against the limit of 10 (the term that uses the macro is), but at
// most 10 names are tried, as for ptr. The answer is computed once per
// evaluation.
func (e *evaluator) validatedName() (string, error) {
	if e.ptrDone {
		return e.ptrName, nil
	}
	e.ptrDone = true
	e.ptrName = "unknown"
	names, _, err := e.ptrLookup("%{p}", nil)
	if err != nil {
		return e.ptrName, nil
	}
	var valid []string
	for _, n := range names {
		if e.validates("%{p}", nil, n) {
			valid = append(valid, n)
		}
	}
	if len(valid) > 0 {
		e.ptrName = valid[0]
		for _, n := range valid {
			if isSubdomain(n, e.env.domain) {
				e.ptrName = n
				break
			}
		}
	}
	return e.ptrName, nil
}

// explain computes the explanation of a fail (RFC 7208 §6.2): exp= is
// fetched only now and is not counted; any problem gives the default.
func (e *evaluator) explain(domain string, rec *Record) string {
	def := e.opts.DefaultExplanation
	if rec.Exp == nil {
		return def
	}
	t := rec.Exp
	name, err := e.target(domain, t)
	if err != nil || queryable(name) != "" {
		if e.opts.Trace {
			e.step(domain, t, "", "explanation: the name %q cannot be used; default explanation", name)
		}
		return def
	}
	ans, err := e.r.Query(e.ctx, name, dns.TypeTXT)
	if err != nil {
		if e.opts.Trace {
			e.step(domain, t, name+" TXT", "explanation: DNS failure (%v); default explanation", err)
		}
		return def
	}
	txts := ans.TXT()
	if len(txts) != 1 {
		if e.opts.Trace {
			e.step(domain, t, name+" TXT", "explanation: %d TXT records, need exactly 1; default explanation", len(txts))
		}
		return def
	}
	for i := 0; i < len(txts[0]); i++ {
		if txts[0][i] >= 0x80 {
			if e.opts.Trace {
				e.step(domain, t, name+" TXT", "explanation: not 7-bit ASCII; default explanation")
			}
			return def
		}
	}
	m, err := parseMacroString(txts[0], macroExp)
	if err != nil {
		if e.opts.Trace {
			e.step(domain, t, name+" TXT", "explanation %q: %v; default explanation", txts[0], err)
		}
		return def
	}
	s, err := m.expand(&e.env, domain)
	if err != nil {
		return def
	}
	if e.opts.Trace {
		e.step(domain, t, name+" TXT", "explanation %q", s)
	}
	return s
}
