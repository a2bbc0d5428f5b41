package check

import (
	"context"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/spf"
)

func init() {
	registry[CheckSPF] = checkSPF
	catalogues = append(catalogues, spf.Findings)
}

// checkSPF analyzes the domain's SPF tree. Details: spf.Analysis. The
// include chains tenants share are fetched once per run through the
// resolver's cache.
func checkSPF(ctx context.Context, d *domainState) *CheckResult {
	a, err := spf.Analyze(ctx, d.c.r, d.domain, spf.AnalyzeOptions{})
	if err != nil {
		return errorResult(err)
	}
	res := &CheckResult{Details: a, Findings: a.Findings}
	if a.Record != "" {
		res.Records = []string{a.Record}
	} else if a.Tree != nil {
		res.Records = a.Tree.Records
	}
	res.Status = statusWithIncomplete(a.Findings, a.Incomplete)
	if res.Status == StatusError {
		res.Error = "some DNS lookups of the SPF tree failed; see the spf.dns-error findings"
	}
	return res
}

// statusWithIncomplete derives a status from findings, where a check that
// could not complete is an error unless it already found a failure.
func statusWithIncomplete(fs []finding.Finding, incomplete bool) Status {
	st := StatusFromFindings(fs)
	if incomplete && st != StatusFail {
		return StatusError
	}
	return st
}
