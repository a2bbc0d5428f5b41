package check

import (
	"context"

	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

func init() {
	registry[CheckTLSRPT] = checkTLSRPT
	catalogues = append(catalogues, tlsrpt.Findings)
}

// checkTLSRPT checks the _smtp._tls record. Details: tlsrpt.Result.
func checkTLSRPT(ctx context.Context, d *domainState) *CheckResult {
	res := tlsrpt.Check(ctx, d.c.r, d.domain)
	return &CheckResult{Status: Status(res.Status), Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}
