package check

import (
	"context"

	"github.com/penguinmails/emailauth/pkg/mtasts"
)

func init() {
	registry[CheckMTASTS] = checkMTASTS
	catalogues = append(catalogues, mtasts.Findings)
}

// checkMTASTS checks the _mta-sts record and, online, the policy and its
// coverage of the MX hosts. Details: mtasts.Result.
func checkMTASTS(ctx context.Context, d *domainState) *CheckResult {
	mx := d.mxHosts(ctx)
	var hosts []string
	if mx.err == nil {
		hosts = mx.hosts
		if hosts == nil {
			hosts = []string{}
		}
	}
	res := mtasts.Check(ctx, d.c.r, d.c.opts.HTTPClient, d.domain, hosts, mtasts.Options{Now: d.c.opts.Now})
	return &CheckResult{Status: Status(res.Status), Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}
