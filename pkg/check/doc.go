// Package check runs a domain's mail-authentication posture checks (mx, spf,
// dkim, dmarc, mta-sts, tls-rpt, bimi, dnssec, starttls) concurrently over
// one shared resolver and builds the Report: a status and findings per check,
// a status per domain, and a summary. Rendering is pkg/report's job.
package check
