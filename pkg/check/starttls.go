package check

import (
	"context"
	"fmt"
	"sync"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/starttls"
)

func init() {
	registry[CheckSTARTTLS] = checkSTARTTLS
	catalogues = append(catalogues, starttls.Findings)
}

// STARTTLSDetails is the starttls check's details: one probe per MX host.
type STARTTLSDetails struct {
	Probes []*starttls.Result `json:"probes"`
}

// checkSTARTTLS connects to every MX host on port 25. A host that cannot be
// reached makes the check an error ("could not check"), never a failure.
func checkSTARTTLS(ctx context.Context, d *domainState) *CheckResult {
	mx := d.mxHosts(ctx)
	if mx.err != nil {
		return errorResult(mx.err)
	}
	if len(mx.hosts) == 0 {
		return &CheckResult{Status: StatusSkip, Error: "the domain has no MX host to connect to", Details: &STARTTLSDetails{Probes: []*starttls.Result{}}}
	}
	if d.c.opts.SMTPDial == nil {
		return &CheckResult{Status: StatusSkip, Error: "offline: no SMTP connection is made", Details: &STARTTLSDetails{Probes: []*starttls.Result{}}}
	}
	det := &STARTTLSDetails{Probes: make([]*starttls.Result, len(mx.hosts))}
	var wg sync.WaitGroup
	for i, h := range mx.hosts {
		wg.Add(1)
		go func(i int, h string) {
			defer wg.Done()
			det.Probes[i] = starttls.Probe(ctx, d.c.opts.SMTPDial, h, starttls.Options{
				Port: d.c.opts.SMTPPort, EHLOName: d.c.opts.HeloName, Now: d.c.opts.Now,
			})
		}(i, h)
	}
	wg.Wait()
	// The probes' own statuses decide: a host that could not be reached is
	// "could not check" (error), never a failure, whatever its findings say.
	res := &CheckResult{Details: det, Status: StatusPass}
	rank := func(st Status) {
		if st.Rank() > res.Status.Rank() {
			res.Status = st
		}
	}
	for _, p := range det.Probes {
		rank(Status(p.Status))
		res.Records = append(res.Records, fmt.Sprintf("%s: %s", p.Host, p.Status))
		for _, f := range p.Findings {
			res.Findings = append(res.Findings, f.WithName(p.Host))
		}
		if p.Status == finding.StatusError {
			if res.Error == "" {
				res.Error = fmt.Sprintf("could not check %s: %s", p.Host, p.Error)
			}
		}
	}
	return res
}
