package check

import (
	"context"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

func init() {
	registry[CheckDKIM] = checkDKIM
	catalogues = append(catalogues, dkimkey.Findings)
}

// checkDKIM checks the key records of the given selectors, or of those
// discovery finds. Details: dkimkey.CheckResult.
func checkDKIM(ctx context.Context, d *domainState) *CheckResult {
	res, err := dkimkey.Check(ctx, d.c.r, d.domain, d.c.opts.Selectors, dkimkey.CheckOptions{ExtraSelectors: d.c.opts.ExtraSelectors})
	if err != nil {
		return errorResult(err)
	}
	out := &CheckResult{Details: res, Findings: res.Findings, Status: Status(res.Status)}
	for _, s := range res.Selectors {
		for _, rec := range s.Records {
			out.Records = append(out.Records, fmt.Sprintf("%s: %s", s.Name, rec))
		}
	}
	if res.Incomplete && out.Status == StatusError {
		for _, s := range res.Selectors {
			if s.Error != "" {
				out.Error = s.Error
				break
			}
		}
	}
	return out
}
