package mtasts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// CertExpiryWarning is how close to its expiry the policy host's
// certificate draws a warning.
const CertExpiryWarning = 14 * 24 * time.Hour

// Options tune Check.
type Options struct {
	// Now is the clock, used for the id suggested in fixes and for the
	// certificate expiry warning; nil means time.Now.
	Now func() time.Time
}

// MXMatch says whether one MX host is allowed by the policy.
type MXMatch struct {
	Host string `json:"host"`
	// Pattern is the first mx pattern that matches the host.
	Pattern string `json:"pattern,omitempty"`
	Matched bool   `json:"matched"`
}

// Result is the outcome of Check.
type Result struct {
	Domain string `json:"domain"`
	// Status is judged from the findings (finding.Judge): a DNS failure or
	// an unreachable policy host makes it error, never fail. It is skip
	// when the domain receives no mail (MTA-STS does not apply) and nothing
	// is wrong, error when the domain name is not valid.
	Status finding.Status `json:"status"`
	// RecordName is "_mta-sts.DOMAIN".
	RecordName string `json:"record_name"`
	// Records are all the TXT records found at RecordName, as published.
	Records []string `json:"records"`
	// Record is the MTA-STS record, parsed (possibly partly, when invalid).
	Record *Record `json:"record,omitempty"`
	// RecordValid is true when exactly one valid MTA-STS record exists.
	RecordValid bool   `json:"record_valid"`
	PolicyURL   string `json:"policy_url,omitempty"`
	// PolicyChecked is true when the policy part reached a verdict (fetched
	// and parsed, or refused for a definite reason such as a bad
	// certificate). It is false offline and when the policy could not be
	// fetched: the policy is then "not checked", never passed.
	PolicyChecked bool `json:"policy_checked"`
	// PolicyNotChecked says why the policy was not checked.
	PolicyNotChecked string `json:"policy_not_checked,omitempty"`
	// Fetch is what the policy URL returned.
	Fetch *Fetched `json:"fetch,omitempty"`
	// Policy is the parsed policy (possibly partly, when invalid).
	Policy *Policy `json:"policy,omitempty"`
	// PolicyValid is true when the policy was fetched and is valid.
	PolicyValid bool `json:"policy_valid"`
	// MXHosts are the domain's MX hosts, as given or looked up.
	MXHosts []string `json:"mx_hosts"`
	// MX says, for each MX host, whether the policy allows it.
	MX       []MXMatch    `json:"mx"`
	Findings finding.List `json:"findings"`
	// Error says why the check could not complete (status error).
	Error string `json:"error,omitempty"`
}

type checker struct {
	res        *Result
	domain     string
	now        time.Time
	incomplete []string
	// noMail is set when the domain has no MX host: MTA-STS does not
	// apply, and a check that finds nothing wrong is skipped.
	noMail bool
}

func (c *checker) add(f finding.Finding) { c.res.Findings = append(c.res.Findings, f) }

func (c *checker) fail(reason string) { c.incomplete = append(c.incomplete, reason) }

// Check checks a domain's MTA-STS: the "_mta-sts" TXT record, the host of
// the policy, the policy fetched with client (skipped when client is nil:
// offline), and the coverage of the MX hosts by the policy's mx patterns.
//
// mxHosts are the domain's MX host names; when nil, Check looks them up. A
// null MX (".") or no MX means the domain receives no mail.
func Check(ctx context.Context, r dns.Resolver, client *http.Client, domain string, mxHosts []string, opts Options) *Result {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res := &Result{Domain: dns.CanonicalName(domain), Records: []string{}, MXHosts: []string{}, MX: []MXMatch{}, Findings: finding.List{}}
	c := &checker{res: res, domain: res.Domain, now: now()}
	if err := dns.CheckName(domain); err != nil || strings.HasPrefix(domain, ".") {
		if err == nil {
			err = fmt.Errorf("the name begins with a dot")
		}
		res.Domain = domain
		res.Status = finding.StatusError
		res.Error = fmt.Sprintf("mta-sts: %v", err)
		res.Findings = append(res.Findings, FindInvalidDomain.New(fmt.Sprintf("%q is not a valid domain name: %v", domain, err), "give a domain name such as example.com"))
		return res
	}
	res.RecordName = "_mta-sts." + c.domain
	c.run(ctx, r, client, mxHosts)
	c.finish()
	return res
}

func (c *checker) run(ctx context.Context, r dns.Resolver, client *http.Client, mxHosts []string) {
	res := c.res
	mxKnown := true
	if mxHosts == nil {
		hosts, err := lookupMX(ctx, r, c.domain)
		if err != nil {
			mxKnown = false
			c.add(FindDNSError.New(fmt.Sprintf("the MX lookup for %s failed: %v", c.domain, err), "make the name servers of "+c.domain+" answer MX queries, then check again").WithName(c.domain))
			c.fail(fmt.Sprintf("MX lookup failed: %v", err))
		}
		mxHosts = hosts
	}
	for _, h := range mxHosts {
		if h = dns.CanonicalName(h); h != "" && h != "." {
			res.MXHosts = append(res.MXHosts, h)
		}
	}
	noMail := mxKnown && len(res.MXHosts) == 0
	c.noMail = noMail

	ans, err := r.Query(ctx, res.RecordName, dns.TypeTXT)
	if err != nil {
		c.add(FindDNSError.New(fmt.Sprintf("the TXT lookup for %s failed: %v", res.RecordName, err), "make the name servers of "+c.domain+" answer TXT queries for "+res.RecordName+", then check again").WithName(res.RecordName))
		c.fail(fmt.Sprintf("TXT lookup for %s failed: %v", res.RecordName, err))
		return
	}
	res.Records = append(res.Records, ans.TXT()...)
	var cands, nearMiss []string
	for _, t := range res.Records {
		if IsRecord(t) {
			cands = append(cands, t)
		} else if txtrec.LooksVersioned(t, "sts") {
			nearMiss = append(nearMiss, t)
		}
	}
	if len(cands) == 0 {
		if noMail {
			c.add(FindNoMX.New(c.domain+" has no MX host (no MX records, or a null MX); MTA-STS does not apply", ""))
			return
		}
		for _, t := range nearMiss {
			_, err := ParseRecord(t)
			msg := fmt.Sprintf("the TXT record %q at %s is not a valid MTA-STS record", txtrec.Abbreviate(t, 80), res.RecordName)
			var se *SyntaxError
			if errors.As(err, &se) {
				msg += ": " + se.Problems[0].Message
			}
			c.add(FindRecordBadVersion.New(msg, fmt.Sprintf("replace it with %s", c.suggestRecord())).WithName(res.RecordName))
		}
		if len(nearMiss) == 0 {
			c.add(FindNoRecord.New(fmt.Sprintf("no MTA-STS record at %s", res.RecordName), c.fixNoRecord()).WithName(res.RecordName))
		}
		return
	}
	if noMail {
		c.add(FindNoMX.New(c.domain+" has no MX host (no MX records, or a null MX), yet it publishes an MTA-STS record", "remove "+res.RecordName+" unless the domain should receive mail"))
	}
	if len(cands) > 1 {
		c.add(FindMultipleRecords.New(fmt.Sprintf("%d MTA-STS records at %s; senders then ignore MTA-STS", len(cands), res.RecordName),
			fmt.Sprintf("delete all but one; keep: %s", c.suggestRecord())).WithName(res.RecordName))
	}
	// Diagnose the first record (all of them if there are several).
	for i, t := range cands {
		rec, err := ParseRecord(t)
		if i == 0 {
			res.Record = rec
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			for _, p := range se.Problems {
				c.add(p.Spec.New(fmt.Sprintf("%s: %s", res.RecordName, p.Message), fmt.Sprintf("publish %s", c.suggestRecord())).WithName(res.RecordName))
			}
		}
		for _, p := range rec.Warnings {
			c.add(p.Spec.New(fmt.Sprintf("%s: %s", res.RecordName, p.Message), fmt.Sprintf("publish %s", c.suggestRecordKeeping(rec))).WithName(res.RecordName))
		}
		for _, e := range rec.Extensions {
			c.add(FindRecordExtensionIgnored.New(fmt.Sprintf("%s has the field %s=%s, which senders ignore", res.RecordName, e.Name, e.Value), "").WithName(res.RecordName))
		}
		if i == 0 && err == nil && len(cands) == 1 {
			res.RecordValid = true
		}
	}

	// The policy.
	res.PolicyURL = PolicyURL(c.domain)
	host := "mta-sts." + c.domain
	exists, herr := hostExists(ctx, r, host)
	switch {
	case herr != nil && client == nil:
		// Offline the policy is not fetched anyway: a failed lookup of its
		// host is not worth an error of its own.
	case herr != nil:
		c.add(FindDNSError.New(fmt.Sprintf("the address lookup for %s failed: %v", host, herr), "make the name servers of "+c.domain+" answer A and AAAA queries for "+host).WithName(host))
		c.fail(fmt.Sprintf("address lookup for %s failed: %v", host, herr))
	case !exists:
		res.PolicyChecked = true
		c.add(FindPolicyHostMissing.New(fmt.Sprintf("%s has no A or AAAA record, so senders cannot fetch %s", host, res.PolicyURL),
			fmt.Sprintf("publish an A/AAAA record (or a CNAME to your policy host) for %s and serve there, as text/plain over HTTPS:\n%s", host, c.suggestPolicy(nil))).WithName(host))
		return
	}
	if client == nil {
		res.PolicyNotChecked = "offline: the policy was not fetched"
		c.add(FindPolicyNotChecked.New(fmt.Sprintf("the policy at %s was not checked (offline); only the DNS records were", res.PolicyURL), "run the check again with network access"))
		return
	}
	fetched, err := FetchPolicy(ctx, client, c.domain)
	res.Fetch = fetched
	if err != nil {
		var fe *FetchError
		if !errors.As(err, &fe) {
			fe = &FetchError{URL: res.PolicyURL, Spec: FindPolicyUnreachable, Unreachable: true, Reason: "could not fetch", Err: err}
		}
		if fe.Unreachable {
			res.PolicyNotChecked = fe.Error()
			c.fail(fe.Error())
			c.add(FindPolicyUnreachable.New(fe.Error(), fmt.Sprintf("make %s reachable over HTTPS on port 443", res.PolicyURL)).WithName(host))
			return
		}
		res.PolicyChecked = true
		c.add(fe.Spec.New(fe.Error(), c.fixFetch(fe)).WithName(host))
		return
	}
	res.PolicyChecked = true
	if !fetched.CertNotAfter.IsZero() && fetched.CertNotAfter.Sub(c.now) < CertExpiryWarning {
		days := int(fetched.CertNotAfter.Sub(c.now).Hours() / 24)
		c.add(FindPolicyCertificateSoon.New(fmt.Sprintf("the certificate of %s expires on %s (in %d days)", host, fetched.CertNotAfter.Format(time.RFC3339), days),
			"renew the certificate of "+host+" and automate its renewal").WithName(host))
	}
	pol, err := ParsePolicy([]byte(fetched.Body))
	res.Policy = pol
	res.PolicyValid = err == nil
	var se *SyntaxError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			c.add(p.Spec.New(fmt.Sprintf("%s: %s", res.PolicyURL, p), c.fixPolicy(pol)).WithName(host))
		}
	}
	for _, p := range pol.Warnings {
		c.add(p.Spec.New(fmt.Sprintf("%s: %s", res.PolicyURL, p), c.fixPolicy(pol)).WithName(host))
	}
	c.checkMX(pol, mxKnown)
}

// checkMX matches the MX hosts against the policy's patterns.
func (c *checker) checkMX(pol *Policy, mxKnown bool) {
	res := c.res
	switch pol.Mode {
	case ModeNone:
		c.add(FindModeNone.New("the policy is in mode none: MTA-STS is switched off", fmt.Sprintf("to protect the domain, serve:\n%s\nand publish %s", c.suggestPolicy(pol), c.suggestRecord())))
		return
	case ModeTesting:
		c.add(FindModeTesting.New("the policy is in testing mode: senders report TLS failures but still deliver", fmt.Sprintf("when the TLS reports are clean, change the policy line to \"mode: enforce\" and publish %s", c.suggestRecord())))
	case ModeEnforce:
	default:
		return
	}
	if !mxKnown || len(res.MXHosts) == 0 {
		return
	}
	used := make([]bool, len(pol.MX))
	var uncovered []string
	for _, h := range res.MXHosts {
		m := MXMatch{Host: h}
		for i, p := range pol.MX {
			if MatchMX(p, h) {
				if !m.Matched {
					m.Matched, m.Pattern = true, p
				}
				used[i] = true
			}
		}
		res.MX = append(res.MX, m)
		if !m.Matched {
			uncovered = append(uncovered, h)
		}
	}
	fix := fmt.Sprintf("serve this policy at %s:\n%s\nthen publish %s", res.PolicyURL, c.suggestPolicy(pol), c.suggestRecord())
	for _, h := range uncovered {
		f := FindMXNotCovered.New(fmt.Sprintf("the MX host %s matches no mx pattern of the policy (%s)", h, strings.Join(pol.MX, ", ")), fix).WithName(h)
		if pol.Mode == ModeTesting {
			f = f.WithSeverity(finding.Warning)
			f.Message += "; in enforce mode senders would refuse to deliver to it"
		} else {
			f.Message += "; senders refuse to deliver to it"
		}
		c.add(f)
	}
	for i, p := range pol.MX {
		if !used[i] && checkPattern(p) == nil {
			c.add(FindMXPatternUnused.New(fmt.Sprintf("the mx pattern %s matches none of the MX hosts (%s)", p, strings.Join(res.MXHosts, ", ")), fix))
		}
	}
}

func (c *checker) finish() {
	res := c.res
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, len(c.incomplete) == 0)
	if res.Status == finding.StatusPass && c.noMail {
		res.Status = finding.StatusSkip
	}
	if len(c.incomplete) > 0 {
		res.Error = "mta-sts: " + strings.Join(c.incomplete, "; ")
	}
}

func lookupMX(ctx context.Context, r dns.Resolver, domain string) ([]string, error) {
	ans, err := r.Query(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	type mx struct {
		host string
		pref uint16
	}
	var mxs []mx
	for _, rr := range ans.Records {
		if rr.Type == dns.TypeMX {
			mxs = append(mxs, mx{rr.Target, rr.Preference})
		}
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].pref < mxs[j].pref })
	hosts := []string{}
	for _, m := range mxs {
		hosts = append(hosts, m.host)
	}
	return hosts, nil
}

// hostExists reports whether host has an A or AAAA record.
func hostExists(ctx context.Context, r dns.Resolver, host string) (bool, error) {
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		ans, err := r.Query(ctx, host, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if len(ans.Records) > 0 {
			return true, nil
		}
	}
	return false, firstErr
}

// suggestRecord is the record to publish, with a fresh id.
func (c *checker) suggestRecord() string {
	return fmt.Sprintf("%s. TXT \"v=STSv1; id=%s\"", c.res.RecordName, c.now.UTC().Format("20060102T150405"))
}

// suggestRecordKeeping is the record to publish, keeping the current id.
func (c *checker) suggestRecordKeeping(rec *Record) string {
	if rec == nil || rec.ID == "" {
		return c.suggestRecord()
	}
	return fmt.Sprintf("%s. TXT \"v=STSv1; id=%s\"", c.res.RecordName, rec.ID)
}

func (c *checker) fixNoRecord() string {
	return fmt.Sprintf("serve, as text/plain at %s (with a certificate valid for mta-sts.%s):\n%s\nthen publish %s",
		PolicyURL(c.domain), c.domain, c.suggestPolicy(nil), c.suggestRecord())
}

func (c *checker) fixFetch(fe *FetchError) string {
	host := "mta-sts." + c.domain
	switch fe.Spec {
	case FindPolicyCertificate:
		return fmt.Sprintf("install on %s a certificate from a public CA that covers %s, with its full chain", host, host)
	case FindPolicyRedirect:
		return fmt.Sprintf("serve the policy directly at %s with status 200, without redirecting", PolicyURL(c.domain))
	case FindPolicyHTTPStatus:
		return fmt.Sprintf("serve the policy at %s with status 200; its contents:\n%s", PolicyURL(c.domain), c.suggestPolicy(nil))
	case FindPolicyContentType:
		return fmt.Sprintf("make the web server of %s send \"Content-Type: text/plain\" for /.well-known/mta-sts.txt", host)
	case FindPolicyTooLarge:
		return fmt.Sprintf("serve only the policy at %s:\n%s", PolicyURL(c.domain), c.suggestPolicy(nil))
	}
	return ""
}

func (c *checker) fixPolicy(pol *Policy) string {
	return fmt.Sprintf("serve this policy at %s:\n%s\nthen publish %s", c.res.PolicyURL, c.suggestPolicy(pol), c.suggestRecord())
}

// suggestPolicy writes the policy the domain should serve: the current
// one's mode and max_age when valid, its patterns that match an MX host,
// and an mx line for each MX host not covered. Lines end with LF.
func (c *checker) suggestPolicy(cur *Policy) string {
	mode, maxAge := ModeTesting, int64(604800)
	var patterns []string
	if cur != nil {
		if cur.Mode == ModeEnforce || cur.Mode == ModeTesting {
			mode = cur.Mode
		}
		if cur.MaxAge >= ShortMaxAge && cur.MaxAge <= MaxMaxAge {
			maxAge = cur.MaxAge
		}
		for _, p := range cur.MX {
			if checkPattern(p) != nil {
				continue
			}
			keep := len(c.res.MXHosts) == 0
			for _, h := range c.res.MXHosts {
				if MatchMX(p, h) {
					keep = true
				}
			}
			if keep {
				patterns = append(patterns, p)
			}
		}
	}
	for _, h := range c.res.MXHosts {
		covered := false
		for _, p := range patterns {
			if MatchMX(p, h) {
				covered = true
			}
		}
		if !covered {
			patterns = append(patterns, h)
		}
	}
	if len(patterns) == 0 {
		patterns = []string{"MX-HOST-NAME"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: STSv1\nmode: %s\n", mode)
	for _, p := range patterns {
		fmt.Fprintf(&b, "mx: %s\n", p)
	}
	fmt.Fprintf(&b, "max_age: %d", maxAge)
	return b.String()
}
