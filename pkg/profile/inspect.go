package profile

import (
	"context"
	"strings"

	"github.com/penguinmails/emailauth/pkg/bimi"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/mtasts"
	"github.com/penguinmails/emailauth/pkg/mx"
	"github.com/penguinmails/emailauth/pkg/spf"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

// state is what a domain publishes, as far as its requirements need: read
// once, then judged (Evaluate) or merged with what is required (Plan).
type state struct {
	domain string
	zone   string

	spfFetch    *spf.FetchResult
	spf         *spf.Analysis // nil when the domain's SPF could not be read
	platformSPF int           // lookups the required includes cost; -1 unknown

	dmarc     *dmarc.CheckResult // the applicable policy (own or inherited)
	dmarcErr  error
	dmarcOwn  []string // the DMARC records at _dmarc.<domain> itself
	dmarcRec  *dmarc.Record
	dmarcName string

	selectors map[string]*dkimkey.SelectorResult

	mx *mx.Lookup

	mtasts, tlsrpt, bimi []string // the records of each kind at its name
	mtastsErr, tlsErr    error
	bimiErr              error

	// errs are the DNS failures met, for profile.dns-error.
	errs []dnsFailure
}

type dnsFailure struct {
	name string
	err  error
	reqs []string // the requirements it leaves unknown
}

func (s *state) fail(name string, err error, reqs ...string) {
	s.errs = append(s.errs, dnsFailure{name: name, err: err, reqs: reqs})
}

// unknown reports whether a DNS failure left a requirement unknown.
func (s *state) unknown(req string) bool {
	for _, f := range s.errs {
		for _, r := range f.reqs {
			if r == req {
				return true
			}
		}
	}
	return false
}

// inspect reads what the requirements need, through r. It never fails:
// DNS failures are recorded in the state.
func inspect(ctx context.Context, r dns.Resolver, req *Requirements) *state {
	d := req.Domain
	s := &state{domain: d, zone: d, platformSPF: -1, selectors: map[string]*dkimkey.SelectorResult{}}
	if z, err := dns.FindZone(ctx, r, d); err == nil {
		s.zone = z
	}

	if spfWanted(req) {
		s.spfFetch = spf.Fetch(ctx, r, d)
		if s.spfFetch.Code == spf.TempError {
			s.fail(d, s.spfFetch.Err, "spf-record", "spf-include", "spf-all", "spf-budget")
		} else if a, err := spf.Analyze(ctx, r, d, spf.AnalyzeOptions{SkipType99: true}); err == nil {
			s.spf = a
		}
		if len(req.SPF.Include) > 0 && req.Enabled("spf-budget") {
			rec := "v=spf1"
			for _, inc := range req.SPF.Include {
				rec += " include:" + inc
			}
			if a, err := spf.AnalyzeRecord(ctx, r, d, rec+" -all", spf.AnalyzeOptions{}); err == nil && !a.Incomplete {
				s.platformSPF = a.Lookups
			}
		}
	}

	if dmarcWanted(req) {
		s.dmarcName = "_dmarc." + d
		res, err := dmarc.Check(ctx, r, d, dmarc.CheckOptions{SkipDestinations: true})
		s.dmarc, s.dmarcErr = res, err
		if err != nil || res == nil || res.Incomplete {
			if err == nil {
				err = errString(strings.Join(res.Errors, "; "))
			}
			s.fail(s.dmarcName, err, dmarcRequirements...)
		} else {
			for _, txt := range res.TXT {
				if dmarc.IsDMARCVersion(txt) {
					s.dmarcOwn = append(s.dmarcOwn, txt)
				}
			}
			if len(s.dmarcOwn) == 1 {
				s.dmarcRec, _ = dmarc.Parse(s.dmarcOwn[0])
			}
		}
	}

	for _, sel := range req.DKIM.Selectors {
		res := dkimkey.CheckSelector(ctx, r, d, sel.Selector, sel.Key, false)
		s.selectors[sel.Selector] = res
		if res.Error != "" {
			s.fail(res.Name, errString(res.Error), "dkim-selector", "dkim-cname", "dkim-key", "dkim-key-size")
		}
	}

	if len(req.MX) > 0 && req.Enabled("mx") {
		s.mx = mx.LookupMX(ctx, r, d)
		if s.mx.Err != nil {
			s.fail(d, s.mx.Err, "mx")
		}
	}
	txt := func(name string, is func(string) bool, reqName string) ([]string, error) {
		a, err := r.Query(ctx, name, dns.TypeTXT)
		if err != nil {
			s.fail(name, err, reqName)
			return nil, err
		}
		var out []string
		for _, t := range a.TXT() {
			if is(t) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	if req.Enabled("mta-sts") {
		s.mtasts, s.mtastsErr = txt("_mta-sts."+d, mtasts.IsRecord, "mta-sts")
	}
	if req.Enabled("tls-rpt") {
		s.tlsrpt, s.tlsErr = txt("_smtp._tls."+d, tlsrpt.IsRecord, "tls-rpt")
	}
	if req.Enabled("bimi") {
		s.bimi, s.bimiErr = txt(req.BIMISelector+"._bimi."+d, bimi.IsRecord, "bimi")
	}
	return s
}

var dmarcRequirements = []string{"dmarc-record", "dmarc-policy", "dmarc-subdomain-policy", "dmarc-rua", "dmarc-ruf", "dmarc-fo", "dmarc-testing", "dmarc-alignment"}

func spfWanted(req *Requirements) bool {
	for _, n := range []string{"spf-record", "spf-include", "spf-all", "spf-budget"} {
		if req.Enabled(n) {
			return true
		}
	}
	return false
}

func dmarcWanted(req *Requirements) bool {
	for _, n := range dmarcRequirements {
		if req.Enabled(n) {
			return true
		}
	}
	return false
}

type errString string

func (e errString) Error() string { return string(e) }
