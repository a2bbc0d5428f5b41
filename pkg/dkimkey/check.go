package dkimkey

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// DefaultSelectors are the selectors Discover probes when none are given:
// the defaults of common signers and sending providers. The list is
// documented in docs/dkim-keys.md; config adds to it (dkim.selectors).
var DefaultSelectors = []string{
	"default",                // OpenDKIM/rspamd examples, cPanel, many hosts
	"selector1", "selector2", // Microsoft 365
	"google",         // Google Workspace
	"k1", "k2", "k3", // Mailchimp / Mandrill, Klaviyo
	"s1", "s2", // SendGrid, many others
	"mail", "dkim", "mailu", // common self-hosted choices, Mailu
	"smtp", "email", "mx", "key1", "key2", // common self-hosted choices
	"dkim1", "dkim2", "sig1", // iCloud custom domains (sig1), generic
	"mandrill", "mailjet", "zoho", "zmail", // Mandrill, Mailjet, Zoho Mail
	"protonmail", "protonmail2", "protonmail3", // Proton Mail
	"fm1", "fm2", "fm3", // Fastmail
	"hs1", "hs2", // HubSpot
	"cm", "smtpapi", "everlytickey1", "everlytickey2", // Campaign Monitor, SendGrid legacy, Everlytic
	"mxvault", "mailo", "turbo-smtp", "pm", "krs", // assorted providers
	"ed25519", "rsa", "s1024", "s2048", // naming by key type or size
}

// CheckOptions tune Check.
type CheckOptions struct {
	// PublicKey, when set, is compared with every published key (the
	// public half of the private key a signer uses).
	PublicKey crypto.PublicKey
	// ExtraSelectors are probed besides DefaultSelectors when no selector
	// is given.
	ExtraSelectors []string
	// Concurrency bounds the queries in flight (default 8).
	Concurrency int
	// Now, when set, is the clock key ages are computed against
	// (SelectorResult.KeyAge); without it no age is computed.
	Now func() time.Time
	// MaxKeyAge, when positive, is the age past which a key gets a
	// dkim.key-age warning (DefaultMaxKeyAge is M3AAWG's six months).
	MaxKeyAge time.Duration
	// KeyFileTime is the modification time of the private key file whose
	// public half is PublicKey (zero when unknown): it dates the key of
	// the selector that publishes that key.
	KeyFileTime time.Time
}

// SelectorResult is what Check found at one selector.
type SelectorResult struct {
	Selector string `json:"selector"`
	// Name is the record's name, "<selector>._domainkey.<domain>".
	Name string `json:"name"`
	// CNAMEs is the alias chain followed from Name, in order.
	CNAMEs []string `json:"cnames,omitempty"`
	// Records are the TXT records found, each as its strings joined.
	Records []string `json:"records"`
	// Strings are the character-strings of each TXT record as published.
	Strings [][]string `json:"strings"`
	// Record is the parsed key record, when one could be parsed.
	Record *Record `json:"record,omitempty"`
	// KeyType and KeyBits describe the published key.
	KeyType string `json:"key_type,omitempty"`
	KeyBits int    `json:"key_bits,omitempty"`
	// KeyMatches says whether the published key is the private key's
	// public half; absent when no private key was given.
	KeyMatches *bool `json:"key_matches,omitempty"`
	// KeyAge is how long the published key has been in use, when a date
	// in the selector name or the private key file says (CheckOptions.Now
	// set); absent otherwise, and for a revoked key.
	KeyAge *KeyAge `json:"key_age,omitempty"`
	// Revoked is true when the published key is revoked (empty p=). A
	// revoked key is the right state for a retired selector: its status is
	// judged from its findings like any other (dkim.revoked is info).
	Revoked bool `json:"revoked,omitempty"`
	// Status is judged from the findings (finding.Judge): pass or warn for
	// a usable or revoked key, fail for a missing, broken or unusable one,
	// error when the DNS could not answer, skip when a probed selector
	// (discovery) has nothing there.
	Status   finding.Status `json:"status"`
	Findings finding.List   `json:"findings"`
	// Error says why the DNS could not answer (status error).
	Error string `json:"error,omitempty"`
}

// CheckResult is the outcome of checking a domain's DKIM keys.
type CheckResult struct {
	Domain string `json:"domain"`
	// Discovered is true when the selectors were found by probing
	// DefaultSelectors (and extras) rather than given.
	Discovered bool `json:"discovered"`
	// Probed lists the selectors probed during discovery.
	Probed []string `json:"probed,omitempty"`
	// Note explains the limits of discovery.
	Note string `json:"note,omitempty"`
	// Selectors holds a result per selector given, or per selector found.
	Selectors []*SelectorResult `json:"selectors"`
	// Findings are every selector's findings (with Name set) and the
	// domain-level ones.
	Findings finding.List `json:"findings"`
	// Status is judged from Findings (finding.Judge): pass, warn, fail, or
	// error when some lookups failed and nothing failed outright.
	Status finding.Status `json:"status"`
	// Incomplete is true when some lookups could not be answered.
	Incomplete bool `json:"incomplete"`
}

// DiscoveryNote is the plain statement of what discovery can and cannot do.
const DiscoveryNote = "selectors were discovered by probing a list of common names; discovery can never be complete, because the DNS cannot list the names under _domainkey: a key at any other selector is not seen"

// Discovery is the outcome of probing selectors.
type Discovery struct {
	Domain string   `json:"domain"`
	Probed []string `json:"probed"`
	// Found are the selectors with a key record (or a CNAME) there.
	Found []string `json:"found"`
	// Failed are the selectors whose lookup could not be answered.
	Failed []string `json:"failed,omitempty"`
	Note   string   `json:"note"`
	// Results holds the check of each found or failed selector.
	Results []*SelectorResult `json:"-"`
}

// SelectorList returns DefaultSelectors followed by extra, without
// duplicates, lower-cased.
func SelectorList(extra []string) []string {
	return dedupe(append(append([]string(nil), DefaultSelectors...), extra...))
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// CheckSelectorName validates a selector: one or more dot-separated labels
// (RFC 6376 §3.1) that make a valid DNS name with the domain.
func CheckSelectorName(selector, domain string) error {
	s := strings.TrimSuffix(selector, ".")
	if s == "" {
		return errors.New("dkimkey: empty selector")
	}
	if strings.Contains(s, "._domainkey") || strings.HasSuffix(s, "_domainkey") {
		return fmt.Errorf("dkimkey: selector %q includes \"_domainkey\"; give only the selector (the part before ._domainkey)", selector)
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return fmt.Errorf("dkimkey: selector %q has an empty label", selector)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(isAlpha(c) || isDigit(c) || c == '-' || c == '_') {
				return fmt.Errorf("dkimkey: selector %q contains %s; a selector is made of letters, digits, '-' and '_' in dot-separated labels", selector, quoteByte(l, i))
			}
		}
	}
	if err := dns.CheckName(RecordName(s, domain)); err != nil {
		return fmt.Errorf("dkimkey: selector %q: %w", selector, err)
	}
	return nil
}

// Discover probes DefaultSelectors and extraSelectors concurrently and
// reports those where a key record (or a CNAME) is published. Discovery can
// never be complete; see DiscoveryNote.
func Discover(ctx context.Context, r dns.Resolver, domain string, extraSelectors []string) (*Discovery, error) {
	return discover(ctx, r, domain, extraSelectors, CheckOptions{})
}

func discover(ctx context.Context, r dns.Resolver, domain string, extra []string, opts CheckOptions) (*Discovery, error) {
	domain = dns.CanonicalName(strings.TrimSpace(domain))
	if err := dns.CheckName(domain); err != nil {
		return nil, fmt.Errorf("dkimkey: %w", err)
	}
	var probed []string
	for _, s := range SelectorList(extra) {
		if CheckSelectorName(s, domain) != nil {
			continue // a bad extra selector from config is skipped, not fatal
		}
		probed = append(probed, s)
	}
	results := checkAll(ctx, r, domain, probed, opts, true)
	d := &Discovery{Domain: domain, Probed: probed, Found: []string{}, Note: DiscoveryNote}
	for _, res := range results {
		switch {
		case res.Status == finding.StatusError:
			d.Failed = append(d.Failed, res.Selector)
			d.Results = append(d.Results, res)
		case found(res):
			d.Found = append(d.Found, res.Selector)
			d.Results = append(d.Results, res)
		}
	}
	return d, nil
}

// found reports whether a probe found something at the selector: a CNAME,
// or a TXT record that looks like a key record (so a wildcard TXT record
// does not make every selector "found").
func found(res *SelectorResult) bool {
	if len(res.CNAMEs) > 0 {
		return true
	}
	for _, v := range res.Records {
		if looksLikeKeyRecord(v) {
			return true
		}
	}
	return false
}

func looksLikeKeyRecord(v string) bool {
	t := strings.TrimLeft(v, " \t\"")
	if strings.HasPrefix(t, "v=DKIM") || strings.HasPrefix(t, "v = DKIM") {
		return true
	}
	for _, part := range strings.Split(v, ";") {
		name, _, ok := strings.Cut(part, "=")
		name = strings.Trim(name, " \t\"")
		if ok && (name == "p" || name == "k") {
			return true
		}
	}
	return false
}

// Check fetches and checks the key record of each selector of domain. With
// no selectors it discovers them first (Discover), and checks those found.
// The error is non-nil only for bad input (a malformed domain or selector);
// DNS failures are reported per selector (status error) and make the result
// Incomplete.
func Check(ctx context.Context, r dns.Resolver, domain string, selectors []string, opts CheckOptions) (*CheckResult, error) {
	domain = dns.CanonicalName(strings.TrimSpace(domain))
	if err := dns.CheckName(domain); err != nil {
		return nil, fmt.Errorf("dkimkey: %w", err)
	}
	res := &CheckResult{Domain: domain, Selectors: []*SelectorResult{}, Findings: finding.List{}}
	if len(selectors) == 0 {
		d, err := discover(ctx, r, domain, opts.ExtraSelectors, opts)
		if err != nil {
			return nil, err
		}
		res.Discovered, res.Probed, res.Note = true, d.Probed, d.Note
		res.Selectors = append(res.Selectors, d.Results...)
	} else {
		sels := dedupe(selectors)
		for _, s := range sels {
			if err := CheckSelectorName(s, domain); err != nil {
				return nil, err
			}
		}
		res.Selectors = checkAll(ctx, r, domain, sels, opts, false)
	}
	if opts.PublicKey != nil {
		relaxMismatches(res.Selectors)
	}
	if opts.Now != nil {
		now := opts.Now()
		for _, s := range res.Selectors {
			judgeAge(s, domain, now, opts)
		}
	}
	usable, ed := 0, 0
	for _, s := range res.Selectors {
		if s.Status == finding.StatusError {
			res.Incomplete = true
		}
		for _, f := range s.Findings {
			res.Findings = append(res.Findings, f.WithName(s.Name))
		}
		if s.Record != nil && !s.Revoked && (s.Status == finding.StatusPass || s.Status == finding.StatusWarn) {
			usable++
			if s.Record.KeyType == KeyTypeEd25519 {
				ed++
			}
		}
	}
	if usable > 0 && ed == usable {
		res.Findings = append(res.Findings, FindEd25519Only.New(
			fmt.Sprintf("every usable key found at %s is Ed25519; receivers that do not verify Ed25519 see the mail as unsigned", domain),
			fmt.Sprintf("add an RSA key under its own selector (emailauth dkim keygen %s -s <new> --algorithm rsa) and sign with both", domain)))
	}
	if res.Discovered && len(res.Selectors) == 0 {
		res.Findings = append(res.Findings, FindNoneFound.New(
			fmt.Sprintf("no DKIM key record found at %d common selectors of %s; discovery can never be complete, so the domain may sign with another selector", len(res.Probed), domain),
			"give the selectors your signers use with --selector (or dkim.selectors in the config); the s= tag of the DKIM-Signature header of a message you sent names it"))
	}
	if revoked := allRevoked(res.Selectors); revoked != nil {
		res.Findings = append(res.Findings, FindAllRevoked.New(
			fmt.Sprintf("every selector checked at %s (%s) publishes a revoked key (empty p=): the domain has no working DKIM key, so the mail it signs fails DKIM", domain, strings.Join(revoked, ", ")),
			fmt.Sprintf("generate a new key under a new selector (emailauth dkim keygen %s -s <new>), publish its record and sign with it; if the domain signs with a selector not checked here, check that one with --selector", domain)))
	}
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, !res.Incomplete)
	return res, nil
}

// allRevoked returns the selectors when there are some and every one
// publishes a revoked key, nil otherwise.
func allRevoked(sels []*SelectorResult) []string {
	var names []string
	for _, s := range sels {
		if !s.Revoked {
			return nil
		}
		names = append(names, s.Selector)
	}
	return names
}

// relaxMismatches lowers the key-mismatch findings to info when another
// selector publishes the private key: checking several selectors with one
// key means "is this key published at one of them".
func relaxMismatches(sels []*SelectorResult) {
	matched := ""
	for _, s := range sels {
		if s.KeyMatches != nil && *s.KeyMatches {
			matched = s.Selector
			break
		}
	}
	if matched == "" {
		return
	}
	for _, s := range sels {
		changed := false
		for i, f := range s.Findings {
			if f.Code == FindKeyMismatch.Code {
				f.Message += fmt.Sprintf("; it is published at selector %q", matched)
				f.Fix = ""
				s.Findings[i] = f.WithSeverity(finding.Info)
				changed = true
			}
		}
		if changed {
			s.judge()
		}
	}
}

func checkAll(ctx context.Context, r dns.Resolver, domain string, sels []string, opts CheckOptions, discovering bool) []*SelectorResult {
	n := opts.Concurrency
	if n <= 0 {
		n = 8
	}
	out := make([]*SelectorResult, len(sels))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, s := range sels {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = CheckSelector(ctx, r, domain, s, opts.PublicKey, discovering)
		}()
	}
	wg.Wait()
	return out
}

// CheckSelector fetches and checks one selector's key record. pub, when
// not nil, is compared with the published key. When probing is true (the
// selector is a guess), a missing record gives no finding and status skip.
func CheckSelector(ctx context.Context, r dns.Resolver, domain, selector string, pub crypto.PublicKey, probing bool) *SelectorResult {
	name := RecordName(selector, domain)
	res := &SelectorResult{Selector: selector, Name: name, Records: []string{}, Strings: [][]string{}, Findings: finding.List{}}
	ans, err := r.Query(ctx, name, dns.TypeTXT)
	if ans != nil {
		res.CNAMEs = ans.CNAMEs
	}
	switch {
	case err != nil && dns.IsCNAMEChainError(err):
		// A loop is a misconfiguration, not an outage: a definite finding.
		res.Findings = append(res.Findings, FindCNAMEChain.New(fmt.Sprintf("%s cannot be resolved: %v", name, err),
			fmt.Sprintf("correct the CNAME records of %s so that the chain ends in the key's TXT record", name)).WithName(name))
		res.judge()
		return res
	case err != nil:
		res.Error = err.Error()
		res.judge()
		return res
	case ans.NotCovered:
		// Offline, and the record is outside every zone file (a CNAME to
		// a provider's zone): nothing is known.
		if probing && len(res.CNAMEs) == 0 {
			res.Status = finding.StatusSkip
			return res
		}
		where := name
		if len(res.CNAMEs) > 0 {
			where = res.CNAMEs[len(res.CNAMEs)-1]
		}
		res.Findings = append(res.Findings, FindNotCheckedOffline.New(fmt.Sprintf("the key of selector %q is published at %s, which no zone file covers: it was not checked offline", selector, where), "").WithName(name))
		res.judge()
		return res
	}
	for _, rr := range ans.Records {
		if rr.Type == dns.TypeTXT {
			res.Strings = append(res.Strings, rr.Strings)
			res.Records = append(res.Records, strings.Join(rr.Strings, ""))
		}
	}
	c := &selCheck{res: res, domain: domain, pub: pub}
	if len(res.CNAMEs) > 0 {
		c.add(FindCNAME.New(fmt.Sprintf("%s is an alias (CNAME) for %s; the key is published there, usually by a sending provider", name, strings.Join(res.CNAMEs, " -> ")), ""))
	}
	switch {
	case len(res.Records) == 0:
		if probing && len(res.CNAMEs) == 0 {
			res.Status = finding.StatusSkip
			return res
		}
		c.noRecord(ans)
	case len(res.Records) == 1:
		c.one(res.Records[0], res.Strings[0])
	default:
		c.several()
	}
	res.judge()
	return res
}

type selCheck struct {
	res    *SelectorResult
	domain string
	pub    crypto.PublicKey
}

func (c *selCheck) add(f finding.Finding) { c.res.Findings = append(c.res.Findings, f) }

func (c *selCheck) keygenHint() string {
	return fmt.Sprintf("emailauth dkim keygen %s -s %s", c.domain, c.res.Selector)
}

func (c *selCheck) noRecord(ans *dns.Answer) {
	name := c.res.Name
	var msg string
	switch {
	case len(c.res.CNAMEs) > 0 && ans.NXDomain():
		msg = fmt.Sprintf("%s is a CNAME to %s, which does not exist (NXDOMAIN): the alias is dangling", name, c.res.CNAMEs[len(c.res.CNAMEs)-1])
	case len(c.res.CNAMEs) > 0:
		msg = fmt.Sprintf("%s is a CNAME to %s, which has no TXT record", name, c.res.CNAMEs[len(c.res.CNAMEs)-1])
	case ans.NXDomain():
		msg = fmt.Sprintf("no DKIM key record at %s (the name does not exist)", name)
	default:
		msg = fmt.Sprintf("no DKIM key record at %s (the name exists but has no TXT record)", name)
	}
	fix := fmt.Sprintf("publish a TXT record at %s holding the key (generate one with: %s), or the CNAME your sending provider gives for selector %q", name, c.keygenHint(), c.res.Selector)
	if len(c.res.CNAMEs) > 0 {
		fix = fmt.Sprintf("ask the provider that hosts %s to publish the key, or point the CNAME at the target it documents; remove the CNAME if the selector is no longer used", c.res.CNAMEs[len(c.res.CNAMEs)-1])
	}
	c.add(FindNoRecord.New(msg, fix))
}

// several handles an RRset of more than one TXT record.
func (c *selCheck) several() {
	name, recs := c.res.Name, c.res.Records
	var valid []int
	for i, v := range recs {
		if _, err := ParseRecord(v); err == nil {
			valid = append(valid, i)
		}
	}
	if len(valid) == 0 && len(recs) <= 5 {
		if joined, ok := joinPermutation(recs); ok {
			c.add(FindSplitRecords.New(
				fmt.Sprintf("the key record at %s is split into %d separate TXT records; verifiers read one record, which is incomplete on its own", name, len(recs)),
				fmt.Sprintf("delete the %d TXT records at %s and publish one TXT record made of several strings: %s", len(recs), name, ZoneLine(name, joined, 0))))
			c.res.Record, _ = ParseRecord(joined)
			c.evaluate(c.res.Record, nil)
			return
		}
	}
	msg := fmt.Sprintf("%d TXT records at %s; RFC 6376 §3.6.2.2 requires one, and verifiers may pick any", len(recs), name)
	fix := fmt.Sprintf("keep exactly one TXT record at %s: the DKIM key record, and delete the others", name)
	if len(valid) == 1 {
		v := recs[valid[0]]
		fix = fmt.Sprintf("keep only %s and delete the other TXT records at %s", ZoneLine(name, v, 0), name)
		rec, _ := ParseRecord(v)
		c.add(FindMultipleRecords.New(msg, fix))
		c.res.Record = rec
		c.evaluate(rec, nil)
		return
	}
	c.add(FindMultipleRecords.New(msg, fix))
}

// joinPermutation tries the orders of the records' concatenation and
// returns the one that parses as a key record: the pieces of a record
// split into separate TXT records (whose order the DNS does not keep).
func joinPermutation(recs []string) (string, bool) {
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	var try func(k int) (string, bool)
	try = func(k int) (string, bool) {
		if k == len(idx) {
			var b strings.Builder
			for _, i := range idx {
				b.WriteString(recs[i])
			}
			if _, err := ParseRecord(b.String()); err == nil {
				return b.String(), true
			}
			return "", false
		}
		for i := k; i < len(idx); i++ {
			idx[k], idx[i] = idx[i], idx[k]
			if s, ok := try(k + 1); ok {
				return s, true
			}
			idx[k], idx[i] = idx[i], idx[k]
		}
		return "", false
	}
	return try(0)
}

// one checks a single TXT record.
func (c *selCheck) one(v string, strs []string) {
	name := c.res.Name
	if strings.Contains(v, `"`) && looksLikeKeyRecord(strings.ReplaceAll(v, `"`, "")) {
		repaired := strings.NewReplacer(`" "`, "", `""`, "", `"`, "").Replace(v)
		msg := fmt.Sprintf("the value at %s contains literal double quotes (%s): zone-file quoting was stored as part of the text", name, quoteContext(v, strings.Index(v, `"`)))
		fix := fmt.Sprintf("republish the value without quotes; in a control panel enter it with no quotes at all, in a zone file as: %s", ZoneLine(name, repaired, 0))
		if rec, err := ParseRecord(repaired); err == nil {
			fix = fmt.Sprintf("republish the value without quotes; in a control panel enter %q with no quotes, in a zone file: %s", rec.String(), ZoneLine(name, rec.String(), 0))
		}
		if _, err := ParseRecord(v); err != nil {
			c.add(FindBadSplit.New(msg, fix))
			return
		}
		// Quotes somewhere harmless (n=, an unknown tag): still report.
		c.add(FindBadSplit.New(msg, fix).WithSeverity(finding.Warning))
	}
	if !looksLikeKeyRecord(v) {
		c.add(FindMalformed.New(
			fmt.Sprintf("the TXT record at %s is not a DKIM key record (it has no p= tag): %q", name, abbreviateValue(v)),
			fmt.Sprintf("publish the DKIM key record at %s (generate one with: %s); if the zone has a wildcard TXT record, it answers for every selector", name, c.keygenHint())))
		return
	}
	if strings.Contains(v, `\;`) {
		msg := fmt.Sprintf(`the key record at %s contains "\;": backslash escapes from a zone file were stored as part of the text, so the tags end in a backslash`, name)
		fix := fmt.Sprintf("republish the value without backslashes at %s", name)
		if rec, err := ParseRecord(strings.ReplaceAll(v, `\;`, ";")); err == nil {
			fix = fmt.Sprintf("republish without backslashes: %s", ZoneLine(name, rec.String(), 0))
		}
		c.add(FindMalformed.New(msg, fix))
		return
	}
	tags, err := ParseTagList(v)
	if err != nil && c.boundarySpace(strs) {
		return
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "dkimkey: ")
		fix := fmt.Sprintf("republish the record at %s as \"v=DKIM1; k=rsa; p=<base64 key>\" with tags separated by \";\"", name)
		c.add(FindMalformed.New(fmt.Sprintf("the key record at %s is malformed: %s", name, msg), fix))
		return
	}
	rec, err := recordFromTags(tags)
	if err != nil {
		if c.boundarySpace(strs) {
			return
		}
		c.recordError(tags, err)
		return
	}
	c.res.Record = rec
	c.evaluate(rec, strs)
}

// boundarySpace reports (as dkim.bad-split) a record that does not parse
// because of whitespace at a boundary between its strings ("k=r" " sa"), when
// removing that whitespace repairs it.
func (c *selCheck) boundarySpace(strs []string) bool {
	if len(strs) < 2 {
		return false
	}
	var b strings.Builder
	var where []string
	for i, s := range strs {
		t := s
		if i > 0 {
			t = strings.TrimLeft(t, " \t")
		}
		if i < len(strs)-1 {
			t = strings.TrimRight(t, " \t")
		}
		if len(t) != len(s) {
			where = append(where, fmt.Sprint(i+1))
		}
		b.WriteString(t)
	}
	if len(where) == 0 {
		return false
	}
	rec, err := ParseRecord(b.String())
	if err != nil {
		return false
	}
	name := c.res.Name
	c.add(FindBadSplit.New(
		fmt.Sprintf("the record at %s is broken by whitespace where it is split into strings (at the edge of string %s): the strings are joined as they are, so the space lands inside a tag", name, strings.Join(where, ", ")),
		fmt.Sprintf("republish the value with no space at the cuts: %s", ZoneLine(name, rec.String(), 0))))
	return true
}

func quoteContext(v string, i int) string {
	lo, hi := i-8, i+9
	if lo < 0 {
		lo = 0
	}
	if hi > len(v) {
		hi = len(v)
	}
	return fmt.Sprintf("...%s...", v[lo:hi])
}

func abbreviateValue(v string) string {
	if len(v) > 80 {
		return v[:77] + "..."
	}
	return v
}

func (c *selCheck) recordError(tags TagList, err error) {
	name := c.res.Name
	var re *RecordError
	errors.As(err, &re)
	msg := fmt.Sprintf("the key record at %s: %s", name, strings.TrimPrefix(err.Error(), "dkimkey: key record: "))
	regen := fmt.Sprintf("emailauth dkim record %s -s %s -k KEY", c.domain, c.res.Selector)
	switch {
	case errors.Is(err, ErrVersion):
		fixed := fixedValue(tags, func(t Tag) (Tag, bool) { return t, t.Name != "v" })
		c.add(FindBadVersion.New(msg, fmt.Sprintf("publish at %s: %q (v=DKIM1 first, or no v= at all)", name, "v=DKIM1; "+fixed)))
	case errors.Is(err, ErrKeyType):
		c.add(FindUnknownKeyType.New(msg, fmt.Sprintf("set k=rsa or k=ed25519 to match the key at %s, or derive the record again: %s", name, regen)))
	case errors.Is(err, ErrNoKey):
		if tags.Has("P") {
			msg += "; there is a \"P=\" tag, but tag names are case-sensitive: it must be \"p=\""
		}
		c.add(FindNoKey.New(msg, fmt.Sprintf("add p=<base64 public key> to the record at %s; derive it with: %s", name, regen)))
	case errors.Is(err, ErrBadKey):
		c.add(FindBadKey.New(msg, fmt.Sprintf("republish p= at %s from the private key: %s", name, regen)))
	default:
		c.add(FindMalformed.New(msg, fmt.Sprintf("correct the tag at %s as the message says, or republish the record: %s", name, regen)))
	}
}

// fixedValue rewrites a tag-list keeping the tags keep accepts.
func fixedValue(tags TagList, keep func(Tag) (Tag, bool)) string {
	var parts []string
	for _, t := range tags {
		if nt, ok := keep(t); ok {
			parts = append(parts, nt.Name+"="+nt.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// evaluate judges a parsed record. strs are the record's strings (nil when
// the record was pieced together).
func (c *selCheck) evaluate(rec *Record, strs []string) {
	if rec == nil {
		return
	}
	name, res := c.res.Name, c.res
	res.KeyType = rec.KeyType
	res.KeyBits = rec.Bits()
	if c.pub != nil {
		m := !rec.Revoked() && SamePublicKey(c.pub, rec.PublicKey)
		res.KeyMatches = &m
		if !m {
			want := ""
			if nr, err := NewRecord(c.pub); err == nil {
				want = ZoneLine(name, nr.String(), 0)
			}
			msg := fmt.Sprintf("the key published at %s is not the public half of the private key given", name)
			if rec.Revoked() {
				msg = fmt.Sprintf("the key at %s is revoked (empty p=), so the private key given is not published there", name)
			} else if alg, bits := KeyAlgorithm(c.pub); alg != rec.KeyType || bits != rec.Bits() {
				msg += fmt.Sprintf(" (published: %s %d bits; private key: %s %d bits)", rec.KeyType, rec.Bits(), alg, bits)
			}
			c.add(FindKeyMismatch.New(msg, "publish the record for the private key: "+want))
		}
	}
	if rec.Revoked() {
		c.add(FindRevoked.New(fmt.Sprintf("the key at %s is revoked (empty p=); signatures with selector %q fail", name, res.Selector),
			fmt.Sprintf("nothing to do if selector %q was retired; make sure no signer still uses it", res.Selector)))
		return
	}
	canonical := ZoneLine(name, rec.String(), 0)
	if !rec.AllowsService("email") {
		c.add(FindNotForEmail.New(fmt.Sprintf("the key at %s is for service types %s only, not email", name, strings.Join(rec.Services, ":")),
			fmt.Sprintf("if the key signs mail, add email to s= (s=email:%s) or remove s=", strings.Join(rec.Services, ":"))))
	}
	if rec.HashAlgs != nil {
		switch {
		case !rec.AllowsHash("sha256") && !rec.AllowsHash("sha1"):
			c.add(FindUnknownHash.New(fmt.Sprintf("h=%s at %s allows no known hash algorithm", strings.Join(rec.HashAlgs, ":"), name), "remove h= or set h=sha256"))
		case !rec.AllowsHash("sha256"):
			c.add(FindSHA1Only.New(fmt.Sprintf("h=%s at %s allows only SHA-1, which RFC 8301 forbids", strings.Join(rec.HashAlgs, ":"), name), "remove h= or set h=sha256, and sign with rsa-sha256"))
		}
	}
	if rec.KeyType == KeyTypeRSA {
		bits := rec.Bits()
		newKey := fmt.Sprintf("generate a 2048-bit key under a new selector (emailauth dkim keygen %s -s <new>), publish it, switch the signer, then revoke selector %q by publishing \"v=DKIM1; p=\" at its name", c.domain, res.Selector)
		switch {
		case bits < 1024:
			c.add(FindKeyTooShort.New(fmt.Sprintf("the RSA key at %s has %d bits; verifiers must reject keys under 1024 bits (RFC 8301)", name, bits), newKey))
		case bits < 2048:
			c.add(FindKeyWeak.New(fmt.Sprintf("the RSA key at %s has %d bits; RFC 8301 asks for at least 2048", name, bits), newKey))
		case bits > MaxRSABits:
			c.add(FindKeyTooLarge.New(fmt.Sprintf("the RSA key at %s has %d bits; verifiers refuse keys over %d bits (emailauth gives permerror), so mail signed with it fails DKIM", name, bits, MaxRSABits), newKey))
		case bits > MaxInteropRSABits:
			c.add(FindKeyOver4096.New(fmt.Sprintf("the RSA key at %s has %d bits; RFC 8301 only requires verifiers to handle up to %d, and some refuse larger keys", name, bits, MaxInteropRSABits), newKey))
		}
		if rec.KeyFormat == "pkcs1" {
			c.add(FindPKCS1.New(fmt.Sprintf("p= at %s holds a PKCS#1 RSAPublicKey, not a SubjectPublicKeyInfo; some verifiers reject it", name), "publish: "+canonical))
		}
	}
	if g := rec.Tags.Lookup("g"); g != nil && g.Value != "*" {
		c.add(FindGranularity.New(fmt.Sprintf("the record at %s has g=%s; RFC 6376 verifiers ignore g=, but older ones enforce it and fail signatures whose i= local part does not match", name, g.Value),
			fmt.Sprintf("remove g= from the record at %s", name)))
	}
	for _, t := range rec.Tags {
		if len(t.Name) == 1 && strings.Contains("VHKNPST", t.Name) {
			c.add(FindIgnoredTag.New(fmt.Sprintf("the record at %s has %s=, which is not %s= (tag names are case-sensitive) and is ignored", name, t.Name, strings.ToLower(t.Name)),
				fmt.Sprintf("write %s=%s in lower case at %s", strings.ToLower(t.Name), t.Value, name)))
		}
	}
	if rec.Testing() {
		c.add(FindTesting.New(fmt.Sprintf("the key at %s has t=y: the domain says it is testing DKIM", name),
			fmt.Sprintf("remove y from t= at %s once signing works", name)))
	}
	if pt := rec.Tags.Lookup("p"); pt != nil && strings.ContainsAny(pt.Value, " \t\r\n") {
		where := "inside the base64 of p="
		if b := boundaryWhitespace(strs, pt); b > 0 {
			where = fmt.Sprintf("at the boundary between strings %d and %d, inside the base64 of p=", b, b+1)
		}
		c.add(FindSplitWhitespace.New(fmt.Sprintf("the record at %s has whitespace %s; RFC 6376 allows it, but some verifiers fail", name, where), "publish: "+canonical))
	}
}

// boundaryWhitespace returns n when whitespace inside p= touches the
// boundary between strings n and n+1 (1-based), or 0.
func boundaryWhitespace(strs []string, p *Tag) int {
	off := 0
	for i := 0; i+1 < len(strs); i++ {
		off += len(strs[i])
		if off <= p.ValueStart || off >= p.ValueEnd {
			continue
		}
		a, b := strs[i], strs[i+1]
		if strings.HasSuffix(a, " ") || strings.HasSuffix(a, "\t") || strings.HasPrefix(b, " ") || strings.HasPrefix(b, "\t") {
			return i + 1
		}
	}
	return 0
}

// judge sorts the findings and derives the status: the lookup completed
// unless Error says why it did not.
func (res *SelectorResult) judge() {
	finding.Sort(res.Findings)
	res.Revoked = res.Record != nil && res.Record.Revoked()
	res.Status = finding.Judge(res.Findings, res.Error == "")
}

// judgeAge sets the age of a selector's usable key and warns when it is
// past opts.MaxKeyAge. The private key file dates only the key it holds.
func judgeAge(s *SelectorResult, domain string, now time.Time, opts CheckOptions) {
	if s.Record == nil || s.Revoked || s.KeyType == "" {
		return
	}
	var fileTime time.Time
	if s.KeyMatches != nil && *s.KeyMatches {
		fileTime = opts.KeyFileTime
	}
	s.KeyAge = KeyAgeOf(s.Selector, fileTime, now, opts.MaxKeyAge)
	if s.KeyAge == nil || !s.KeyAge.Over {
		return
	}
	next := "s" + now.UTC().Format("200601")
	if next == s.Selector {
		next += "b"
	}
	s.Findings = append(s.Findings, FindKeyAge.New(
		fmt.Sprintf("the key at %s has been in use for %d days, %s; the maximum is %d days", s.Name, s.KeyAge.Days, s.KeyAge.Describe(), s.KeyAge.MaxDays),
		fmt.Sprintf("rotate it to a new key under a new selector: emailauth dkim rotate %s --selector %s --next %s --generate (docs/rotation.md)", domain, s.Selector, next)))
	s.judge()
}
