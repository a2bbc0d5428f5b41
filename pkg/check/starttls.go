package check

import (
	"context"
	"fmt"
	"sync"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/starttls"
)

// STARTTLSDetails is the starttls check's details: one probe per MX host.
type STARTTLSDetails struct {
	Probes []*starttls.Result `json:"probes"`
}

// runSTARTTLS connects to every MX host on port 25. A host that cannot be
// reached makes the check an error ("could not check"), never a failure.
func runSTARTTLS(ctx context.Context, d *domainState) *CheckResult {
	mx := d.mxLookup(ctx)
	if mx.Err != nil {
		return errorResult(mx.Err)
	}
	if len(mx.Hosts) == 0 {
		return &CheckResult{Status: finding.StatusSkip, Error: "the domain has no MX host to connect to", Details: &STARTTLSDetails{Probes: []*starttls.Result{}}}
	}
	if d.c.opts.SMTPDial == nil {
		return &CheckResult{Status: finding.StatusSkip, Error: "offline: no SMTP connection is made", Details: &STARTTLSDetails{Probes: []*starttls.Result{}}}
	}
	det := &STARTTLSDetails{Probes: make([]*starttls.Result, len(mx.Hosts))}
	var wg sync.WaitGroup
	for i, h := range mx.Hosts {
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
	// "could not check" (error), never a failure.
	res := &CheckResult{Details: det, Status: finding.StatusPass}
	for _, p := range det.Probes {
		res.Status = finding.Worst(res.Status, p.Status)
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
