package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// Result is the outcome of Check.
type Result struct {
	Domain string `json:"domain"`
	// Status is judged from the findings (finding.Judge): a failed lookup
	// makes it error, never fail. It is error when the domain name is not
	// valid.
	Status finding.Status `json:"status"`
	// RecordName is "_smtp._tls.DOMAIN".
	RecordName string `json:"record_name"`
	// Records are all the TXT records found at RecordName.
	Records []string `json:"records"`
	// Record is the TLS-RPT record, parsed (partly, when invalid).
	Record *Record `json:"record,omitempty"`
	// Valid is true when exactly one valid TLS-RPT record exists.
	Valid    bool         `json:"valid"`
	Findings finding.List `json:"findings"`
	Error    string       `json:"error,omitempty"`
}

// Check looks up and checks the TLS-RPT record of domain.
func Check(ctx context.Context, r dns.Resolver, domain string) *Result {
	res := &Result{Domain: dns.CanonicalName(domain), Records: []string{}, Findings: finding.List{}}
	if err := dns.CheckName(domain); err != nil || strings.HasPrefix(domain, ".") {
		if err == nil {
			err = fmt.Errorf("the name begins with a dot")
		}
		res.Domain, res.Status, res.Error = domain, finding.StatusError, fmt.Sprintf("tlsrpt: %v", err)
		res.Findings = append(res.Findings, FindInvalidDomain.New(fmt.Sprintf("%q is not a valid domain name: %v", domain, err), "give a domain name such as example.com"))
		return res
	}
	res.RecordName = "_smtp._tls." + res.Domain
	suggest := func(rua []string) string {
		if len(rua) == 0 {
			rua = []string{"mailto:tlsrpt@" + res.Domain}
		}
		return fmt.Sprintf("%s. TXT \"v=TLSRPTv1; rua=%s\"", res.RecordName, strings.Join(rua, ","))
	}
	ans, err := r.Query(ctx, res.RecordName, dns.TypeTXT)
	if err != nil {
		res.Error = fmt.Sprintf("tlsrpt: TXT lookup for %s failed: %v", res.RecordName, err)
		res.Findings = append(res.Findings, FindDNSError.New(fmt.Sprintf("the TXT lookup for %s failed: %v", res.RecordName, err),
			"make the name servers of "+res.Domain+" answer TXT queries for "+res.RecordName+", then check again").WithName(res.RecordName))
		res.finish()
		return res
	}
	res.Records = append(res.Records, ans.TXT()...)
	var cands []string
	for _, t := range res.Records {
		if IsRecord(t) {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		near := false
		for _, t := range res.Records {
			if txtrec.LooksVersioned(t, "tlsrpt") {
				near = true
				res.Findings = append(res.Findings, FindBadVersion.New(fmt.Sprintf("the TXT record %q at %s is not a valid TLS-RPT record: it must begin with \"v=TLSRPTv1\"", txtrec.Abbreviate(t, 80), res.RecordName),
					"replace it with "+suggest(goodRUA(t))).WithName(res.RecordName))
			}
		}
		if !near {
			res.Findings = append(res.Findings, FindNoRecord.New("no TLS-RPT record at "+res.RecordName, "publish "+suggest(nil)).WithName(res.RecordName))
		}
		res.finish()
		return res
	}
	if len(cands) > 1 {
		var all []string
		for _, t := range cands {
			all = append(all, goodRUA(t)...)
		}
		res.Findings = append(res.Findings, FindMultipleRecords.New(fmt.Sprintf("%d TLS-RPT records at %s; senders then send no reports", len(cands), res.RecordName),
			"replace them with one record: "+suggest(dedupe(all))).WithName(res.RecordName))
	}
	rec, err := ParseRecord(cands[0])
	res.Record = rec
	res.Valid = err == nil && len(cands) == 1
	fix := "publish " + suggest(goodRUA(cands[0]))
	var se *SyntaxError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			res.Findings = append(res.Findings, p.Spec.New(res.RecordName+": "+p.Message, fixFor(p, fix)).WithName(res.RecordName))
		}
	}
	for _, p := range rec.Warnings {
		res.Findings = append(res.Findings, p.Spec.New(res.RecordName+": "+p.Message, fix).WithName(res.RecordName))
	}
	res.finish()
	return res
}

func fixFor(p Problem, fix string) string {
	if p.Spec == FindRUAHTTP {
		return fmt.Sprintf("change %s to %s (an endpoint that serves HTTPS); %s", p.URI, "https"+strings.TrimPrefix(p.URI, "http"), fix)
	}
	return fix
}

// goodRUA returns the valid rua URIs of a record, to keep in a suggestion.
func goodRUA(txt string) []string {
	rec, _ := ParseRecord(txt)
	var out []string
	for _, u := range rec.RUA {
		if s, _ := checkURI(u); s == nil {
			out = append(out, u)
		} else if s == FindRUAHTTP {
			out = append(out, "https"+u[len("http"):])
		}
	}
	if len(out) == 0 && !IsRecord(txt) {
		// A near-miss record ("v=tlsrptv1; rua=..."): read its rua anyway.
		low := strings.ToLower(txt)
		if i := strings.Index(low, "rua="); i >= 0 {
			v, _, _ := strings.Cut(txt[i+4:], ";")
			for _, u := range strings.Split(v, ",") {
				if u = strings.TrimSpace(u); u != "" {
					if s, _ := checkURI(u); s == nil {
						out = append(out, u)
					}
				}
			}
		}
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// finish sorts the findings and derives the status; the check is complete
// unless the lookup failed (res.Error).
func (res *Result) finish() {
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, res.Error == "")
}
