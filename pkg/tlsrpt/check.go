package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// Finding codes. Problem.Code holds one of the record codes.
const (
	CodeInvalidDomain   = "tls-rpt.invalid-domain"
	CodeDNSError        = "tls-rpt.dns-error"
	CodeNoRecord        = "tls-rpt.no-record"
	CodeMultipleRecords = "tls-rpt.multiple-records"
	CodeBadVersion      = "tls-rpt.bad-version"
	CodeSyntax          = "tls-rpt.syntax"
	CodeDuplicateField  = "tls-rpt.duplicate-field"
	CodeNoRUA           = "tls-rpt.no-rua"
	CodeRUAInvalid      = "tls-rpt.rua-invalid"
	CodeRUAHTTP         = "tls-rpt.rua-http"
	CodeRUAScheme       = "tls-rpt.rua-scheme"
)

// spec returns the catalogue entry of a code this package defines.
func spec(code string) *finding.Spec { return catalog.Must(code) }

func init() {
	catalog.Define(finding.Spec{Code: CodeInvalidDomain, Severity: finding.Error,
		Title:   "the domain name is not valid",
		Meaning: "The name given to the check is not a syntactically valid domain name, so nothing could be looked up.",
		Fix:     "Give a domain name such as `example.com`."})
	catalog.Define(finding.Spec{Code: CodeDNSError, Severity: finding.Error,
		Title:   "the TLS-RPT lookup failed",
		Meaning: "The TXT query for `_smtp._tls.DOMAIN` timed out or was answered with SERVFAIL or REFUSED. The check could not complete.",
		Fix:     "Check that every authoritative name server of the domain answers TXT queries for `_smtp._tls.DOMAIN`, then run the check again."})
	catalog.Define(finding.Spec{Code: CodeNoRecord, Severity: finding.Warning,
		Title:   "no TLS-RPT record",
		Meaning: "No TXT record beginning with `v=TLSRPTv1` is published at `_smtp._tls.DOMAIN`. Senders then cannot tell you when TLS to your MX hosts fails (an expired certificate, an MTA-STS mismatch, an attack), so such failures go unnoticed.",
		Fix:     "Publish `_smtp._tls.DOMAIN. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN\"` with a mailbox (or an https: endpoint) that receives the daily JSON reports."})
	catalog.Define(finding.Spec{Code: CodeMultipleRecords, Severity: finding.Error,
		Title:   "more than one TLS-RPT record",
		Meaning: "More than one TXT record at `_smtp._tls.DOMAIN` begins with `v=TLSRPTv1`. RFC 8460 §3 tells senders to assume then that the domain does not implement TLS reporting.",
		Fix:     "Merge them into one record: `v=TLSRPTv1; rua=URI1,URI2`."})
	catalog.Define(finding.Spec{Code: CodeBadVersion, Severity: finding.Error,
		Title:   "the TLS-RPT record has a wrong version",
		Meaning: "A TXT record at `_smtp._tls.DOMAIN` looks like a TLS-RPT record but does not begin exactly with `v=TLSRPTv1` (case-sensitive, first). Senders discard it.",
		Fix:     "Begin the record with `v=TLSRPTv1;`."})
	catalog.Define(finding.Spec{Code: CodeSyntax, Severity: finding.Error,
		Title:   "the TLS-RPT record is malformed",
		Meaning: "The record does not follow the RFC 8460 §3 grammar: fields `name=value` separated by `;`, no spaces around `=`. Senders treat an invalid record as no record.",
		Fix:     "Publish the record as `v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN`."})
	catalog.Define(finding.Spec{Code: CodeDuplicateField, Severity: finding.Warning,
		Title:   "a TLS-RPT field is repeated",
		Meaning: "A field appears twice. Senders use the first, which may not be the one you meant; to give several destinations, list them in one `rua` separated by commas.",
		Fix:     "Keep one `rua=` with all the URIs separated by commas."})
	catalog.Define(finding.Spec{Code: CodeNoRUA, Severity: finding.Error,
		Title:   "the TLS-RPT record has no rua",
		Meaning: "`rua` is required: it says where senders send reports. Without it the record is invalid.",
		Fix:     "Add `rua=mailto:tlsrpt@DOMAIN` (or an https: URL that accepts reports)."})
	catalog.Define(finding.Spec{Code: CodeRUAInvalid, Severity: finding.Error,
		Title:   "a TLS-RPT rua URI is not valid",
		Meaning: "A rua destination is not a valid `mailto:` address or `https:` URL (a missing scheme, an empty entry, a space, a bad address, or a `!` that must be percent-encoded). Senders treat the record as invalid.",
		Fix:     "Write each destination as `mailto:user@example.com` or `https://host.example.com/path`, separated by commas."})
	catalog.Define(finding.Spec{Code: CodeRUAHTTP, Severity: finding.Error,
		Title:   "a TLS-RPT rua URI uses http:",
		Meaning: "RFC 8460 defines only `https:` (and `mailto:`) destinations; reports are not posted over plain HTTP.",
		Fix:     "Change `http://` to `https://` and make sure the endpoint serves HTTPS."})
	catalog.Define(finding.Spec{Code: CodeRUAScheme, Severity: finding.Error,
		Title:   "a TLS-RPT rua URI has an unsupported scheme",
		Meaning: "Only `mailto:` and `https:` destinations are defined; senders cannot deliver reports to others.",
		Fix:     "Use a `mailto:` address or an `https:` URL."})
}

// Status is the outcome of a check.
type Status string

// Statuses, the vocabulary every check of emailauth uses.
const (
	StatusPass  Status = "pass"
	StatusWarn  Status = "warn"
	StatusFail  Status = "fail"
	StatusError Status = "error"
	StatusSkip  Status = "skip"
)

// Result is the outcome of Check.
type Result struct {
	Domain string `json:"domain"`
	Status Status `json:"status"`
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
		res.Domain, res.Status, res.Error = domain, StatusError, fmt.Sprintf("tlsrpt: %v", err)
		res.Findings = append(res.Findings, spec(CodeInvalidDomain).New(fmt.Sprintf("%q is not a valid domain name: %v", domain, err), "give a domain name such as example.com"))
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
		res.Status, res.Error = StatusError, fmt.Sprintf("tlsrpt: TXT lookup for %s failed: %v", res.RecordName, err)
		res.Findings = append(res.Findings, spec(CodeDNSError).New(fmt.Sprintf("the TXT lookup for %s failed: %v", res.RecordName, err),
			"make the name servers of "+res.Domain+" answer TXT queries for "+res.RecordName+", then check again").WithName(res.RecordName))
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
				res.Findings = append(res.Findings, spec(CodeBadVersion).New(fmt.Sprintf("the TXT record %q at %s is not a valid TLS-RPT record: it must begin with \"v=TLSRPTv1\"", txtrec.Abbreviate(t, 80), res.RecordName),
					"replace it with "+suggest(goodRUA(t))).WithName(res.RecordName))
			}
		}
		if !near {
			res.Findings = append(res.Findings, spec(CodeNoRecord).New("no TLS-RPT record at "+res.RecordName, "publish "+suggest(nil)).WithName(res.RecordName))
		}
		res.finish()
		return res
	}
	if len(cands) > 1 {
		var all []string
		for _, t := range cands {
			all = append(all, goodRUA(t)...)
		}
		res.Findings = append(res.Findings, spec(CodeMultipleRecords).New(fmt.Sprintf("%d TLS-RPT records at %s; senders then send no reports", len(cands), res.RecordName),
			"replace them with one record: "+suggest(dedupe(all))).WithName(res.RecordName))
	}
	rec, err := ParseRecord(cands[0])
	res.Record = rec
	res.Valid = err == nil && len(cands) == 1
	fix := "publish " + suggest(goodRUA(cands[0]))
	var se *SyntaxError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			res.Findings = append(res.Findings, spec(p.Code).New(res.RecordName+": "+p.Message, fixFor(p, fix)).WithName(res.RecordName))
		}
	}
	for _, p := range rec.Warnings {
		res.Findings = append(res.Findings, spec(p.Code).New(res.RecordName+": "+p.Message, fix).WithName(res.RecordName))
	}
	res.finish()
	return res
}

func fixFor(p Problem, fix string) string {
	if p.Code == CodeRUAHTTP {
		return fmt.Sprintf("change %s to %s (an endpoint that serves HTTPS); %s", p.URI, "https"+strings.TrimPrefix(p.URI, "http"), fix)
	}
	return fix
}

// goodRUA returns the valid rua URIs of a record, to keep in a suggestion.
func goodRUA(txt string) []string {
	rec, _ := ParseRecord(txt)
	var out []string
	for _, u := range rec.RUA {
		if code, _ := checkURI(u); code == "" {
			out = append(out, u)
		} else if code == CodeRUAHTTP {
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
					if code, _ := checkURI(u); code == "" {
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

func (res *Result) finish() {
	sort.SliceStable(res.Findings, func(i, j int) bool { return res.Findings[i].Severity > res.Findings[j].Severity })
	m, _ := finding.Max(res.Findings)
	switch {
	case len(res.Findings) > 0 && m == finding.Error:
		res.Status = StatusFail
	case len(res.Findings) > 0 && m == finding.Warning:
		res.Status = StatusWarn
	default:
		res.Status = StatusPass
	}
}
