package check

import (
	"context"
	"errors"

	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// dmarcOutcome is the DMARC check of one domain, computed once and shared by
// the dmarc and bimi checks and the cross-checks.
type dmarcOutcome struct {
	res *dmarc.CheckResult
	err error
}

func (d *domainState) dmarc(ctx context.Context) *dmarcOutcome {
	d.dmarcOnce.Do(func() {
		res, err := dmarc.Check(ctx, d.c.r, d.domain, dmarc.CheckOptions{})
		if res == nil && err == nil {
			err = errors.New("dmarc: no result")
		}
		d.dmarcRes = &dmarcOutcome{res: res, err: err}
	})
	return d.dmarcRes
}
