package spf

import "github.com/penguinmails/emailauth/pkg/finding"

// Status is the verdict of a check_host() result in the one verdict model
// (pkg/finding): pass passes; temperror is "could not find out" (error,
// exit 3), never a failure; every other result (fail, softfail, neutral,
// none, permerror) means the connection is not authorized, a failed check.
func (c Code) Status() finding.Status {
	switch c {
	case Pass:
		return finding.StatusPass
	case TempError:
		return finding.StatusError
	}
	return finding.StatusFail
}

// Status is the analysis' verdict, judged from its findings with
// finding.Judge: fail when a finding is a definite error, error when a DNS
// lookup failed (Incomplete; the spf.dns-error findings are transient) and
// nothing definite is wrong, warn for warnings, pass otherwise.
func (a *Analysis) Status() finding.Status {
	return finding.Judge(a.Findings, !a.Incomplete)
}

// Status is the verdict of a flattened set checked against today's DNS:
// fail when a source's networks or a published record changed.
func (c *FlattenCheck) Status() finding.Status {
	if c.Changed {
		return finding.StatusFail
	}
	return finding.StatusPass
}
