package check

import (
	"context"

	"github.com/penguinmails/emailauth/pkg/bimi"
)

func init() {
	registry[CheckBIMI] = checkBIMI
	catalogues = append(catalogues, bimi.Findings)
}

// checkBIMI checks the BIMI record and cross-checks it with the DMARC
// policy (BIMI needs quarantine or reject). Details: bimi.Result.
func checkBIMI(ctx context.Context, d *domainState) *CheckResult {
	in := bimi.DMARC{}
	if o := d.dmarc(ctx); o.res != nil && !o.res.Incomplete {
		in.Checked = true
		if o.res.Discovery != nil {
			in.OrgDomain = o.res.Discovery.RFC7489.OrgDomain
		}
		if rec := o.res.Record; rec != nil && o.res.Policy != nil {
			in.Found = true
			in.RecordDomain = o.res.RecordDomain
			in.P, in.SP = string(rec.P), string(rec.SP)
			in.Pct = rec.PCT
			in.Testing = rec.Testing
		}
	}
	res := bimi.Check(ctx, d.c.r, d.domain, d.c.opts.BIMISelector, in)
	return &CheckResult{Status: Status(res.Status), Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}
