package check

import (
	"context"
	"errors"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dmarc"
)

func init() {
	registry[CheckDMARC] = checkDMARC
	catalogues = append(catalogues, dmarc.Findings)
}

// dmarcOutcome is the DMARC check of one domain, computed once and shared by
// the dmarc and bimi checks and the cross-checks.
type dmarcOutcome struct {
	res *dmarc.CheckResult
	err error
}

func (d *domainState) dmarc(ctx context.Context) *dmarcOutcome {
	d.dmarcOnce.Do(func() {
		res, err := dmarc.Check(ctx, d.c.r, d.domain, dmarc.CheckOptions{})
		d.dmarcRes = &dmarcOutcome{res: res, err: err}
	})
	return d.dmarcRes
}

// checkDMARC checks discovery (RFC 9989 and the RFC 7489 view), the record
// and its report destinations. Details: dmarc.CheckResult.
func checkDMARC(ctx context.Context, d *domainState) *CheckResult {
	o := d.dmarc(ctx)
	if o.res == nil {
		if o.err == nil {
			o.err = errors.New("dmarc: no result")
		}
		return errorResult(o.err)
	}
	res := &CheckResult{Details: o.res, Findings: o.res.Findings, Records: o.res.TXT}
	if o.res.Policy != nil {
		d.dmarcPolicy = string(o.res.Policy.Applied)
	}
	res.Status = statusWithIncomplete(o.res.Findings, o.res.Incomplete)
	if res.Status == StatusError {
		res.Error = strings.Join(o.res.Errors, "; ")
		if res.Error == "" && o.err != nil {
			res.Error = o.err.Error()
		}
	}
	return res
}
