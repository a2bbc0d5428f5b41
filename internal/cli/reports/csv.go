package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/penguinmails/emailauth/pkg/mailreport/ingest"
	"github.com/penguinmails/emailauth/pkg/report"
)

// The CSV is one table for every kind: a row per aggregate source (or,
// with --readiness, per domain's verdict), per TLS policy, per TLS failure
// group and per failure report. The first column, row, names the row's
// type; the columns of the kinds read follow, empty where a row has no
// value. docs/reports.md lists them.
var (
	csvCommon    = []string{"row", "tenant", "domain"}
	csvAggregate = []string{"source_ip", "ptr", "messages", "dmarc_pass", "dmarc_fail", "dmarc_pass_rate", "spf_aligned_pass", "spf_aligned_pass_rate",
		"dkim_aligned_pass", "dkim_aligned_pass_rate", "disposition_none", "disposition_quarantine", "disposition_reject", "class", "action", "header_from", "reporters", "advice"}
	csvReadiness = []string{"status", "policy", "verdict", "messages", "dmarc_fail", "legitimate_messages", "legitimate_pass", "pass_share", "dkim_share",
		"days", "days_at_step", "at_risk_sources", "next_step", "next_record", "reasons"}
	csvTLS     = []string{"policy_type", "policy_mode", "sessions_successful", "sessions_failed", "failure_rate", "result_type", "receiving_mx", "receiving_ip", "sending_mtas", "reason_codes", "not_in_policy", "tls_reporters", "tls_status"}
	csvFailure = []string{"date", "reporter", "report_id", "failure_source_ip", "auth_failure", "identity_alignment", "delivery_result", "dkim_domain", "dkim_selector", "mail_from_domain", "header_from_domain", "incidents", "format"}
	// csvPersonal are the failure reports' personal data, with
	// --show-headers only.
	csvPersonal = []string{"original_mail_from", "original_rcpt_to", "original_from", "original_to", "original_subject", "original_message_id", "original_date"}
)

type csvTable struct {
	w    *csv.Writer
	cols []string
	idx  map[string]int
}

func (t *csvTable) row(kind string, cells map[string]string) {
	out := make([]string, len(t.cols))
	out[0] = kind
	for k, v := range cells {
		i, ok := t.idx[k]
		if !ok {
			panic("reports: CSV column " + k + " is not declared")
		}
		out[i] = report.CSVCell(report.SafeLine(v))
	}
	_ = t.w.Write(out) // errors surface through w.Error
}

// writeCSV writes the CSV table. Every cell is made safe (report.CSVCell):
// report content is hostile, and CSV files end up in spreadsheets and
// terminals.
func writeCSV(out io.Writer, opts *Options, res *Result) error {
	cols := append([]string(nil), csvCommon...)
	wants := func(k ingest.Kind) bool {
		for _, x := range res.Kinds {
			if x == k {
				return true
			}
		}
		return false
	}
	if wants(ingest.KindAggregate) {
		if opts.Readiness {
			cols = append(cols, csvReadiness...)
		} else {
			cols = append(cols, csvAggregate...)
		}
	}
	if wants(ingest.KindTLS) {
		cols = append(cols, csvTLS...)
	}
	if wants(ingest.KindFailure) {
		cols = append(cols, csvFailure...)
		if opts.ShowHeaders {
			cols = append(cols, csvPersonal...)
		}
	}
	t := &csvTable{w: csv.NewWriter(out), cols: cols, idx: map[string]int{}}
	for i, c := range cols {
		t.idx[c] = i
	}
	_ = t.w.Write(cols)

	if a := res.DMARC; a != nil {
		for _, d := range a.Domains {
			if opts.Readiness {
				rd := d.Readiness
				c := map[string]string{"tenant": d.Tenant, "domain": d.Domain, "status": string(d.Status), "policy": rd.StepName, "verdict": string(rd.Verdict),
					"messages": i64(d.Messages), "dmarc_fail": i64(d.DMARCFail), "legitimate_messages": i64(rd.LegitimateMessages), "legitimate_pass": i64(rd.LegitimatePass),
					"pass_share": rate(rd.PassShare), "dkim_share": rate(rd.DKIMShare), "days": days(rd.Days), "days_at_step": days(rd.DaysAtStep),
					"at_risk_sources": strconv.Itoa(len(rd.AtRisk)), "reasons": strings.Join(rd.Reasons, "; ")}
				if rd.Next != nil {
					c["next_step"], c["next_record"] = rd.Next.Name, rd.Next.Record
				}
				t.row("readiness", c)
				continue
			}
			for _, s := range d.Sources {
				t.row("source", map[string]string{"tenant": d.Tenant, "domain": d.Domain, "source_ip": s.SourceIP, "ptr": s.PTR,
					"messages": i64(s.Messages), "dmarc_pass": i64(s.DMARCPass), "dmarc_fail": i64(s.DMARCFail), "dmarc_pass_rate": rate(s.DMARCPassRate),
					"spf_aligned_pass": i64(s.SPFAligned), "spf_aligned_pass_rate": rate(ratio(s.SPFAligned, s.Messages)),
					"dkim_aligned_pass": i64(s.DKIMAligned), "dkim_aligned_pass_rate": rate(ratio(s.DKIMAligned, s.Messages)),
					"disposition_none": i64(s.Disposition.None), "disposition_quarantine": i64(s.Disposition.Quarantine), "disposition_reject": i64(s.Disposition.Reject),
					"class": string(s.Class), "action": string(s.Action), "header_from": strings.Join(s.HeaderFrom, " "), "reporters": strings.Join(s.Reporters, " "), "advice": s.Advice})
			}
		}
	}
	if s := res.TLS; s != nil {
		for _, d := range s.Domains {
			for _, p := range d.Policies {
				t.row("tls-policy", map[string]string{"tenant": d.Tenant, "domain": d.Domain, "policy_type": p.Type, "policy_mode": p.Mode,
					"sessions_successful": i64(p.Successful), "sessions_failed": i64(p.Failed), "failure_rate": rate(p.FailureRate),
					"tls_reporters": strings.Join(d.Reporters, " "), "tls_status": string(d.Status)})
			}
			for _, g := range d.Failures {
				t.row("tls-failure", map[string]string{"tenant": d.Tenant, "domain": d.Domain, "policy_type": g.PolicyType, "result_type": g.ResultType,
					"receiving_mx": g.ReceivingMX, "receiving_ip": g.ReceivingIP, "sessions_failed": i64(g.Sessions), "sending_mtas": strings.Join(g.SendingMTAs, " "),
					"reason_codes": strings.Join(g.ReasonCodes, " "), "not_in_policy": strconv.FormatBool(g.NotInPolicy), "tls_reporters": strings.Join(g.Reporters, " ")})
			}
		}
	}
	if res.Failures != nil {
		tenant := map[string]string{}
		for _, d := range res.Failures.Domains {
			tenant[d.Domain] = d.Tenant
		}
		for _, rep := range res.FailureReports {
			when := rep.ArrivalDate
			if when.IsZero() {
				when = rep.Date
			}
			ts := ""
			if !when.IsZero() {
				ts = when.UTC().Format("2006-01-02T15:04:05Z")
			}
			c := map[string]string{"tenant": tenant[rep.ReportedDomain], "domain": rep.ReportedDomain, "date": ts, "reporter": rep.Reporter,
				"report_id": rep.ReportID, "failure_source_ip": rep.SourceIP, "auth_failure": strings.Join(rep.AuthFailure, " "),
				"identity_alignment": strings.Join(rep.IdentityAlignment, " "), "delivery_result": rep.DeliveryResult, "dkim_domain": rep.DKIMDomain,
				"dkim_selector": rep.DKIMSelector, "mail_from_domain": rep.OriginalMailFromDomain, "header_from_domain": rep.HeaderFromDomain,
				"incidents": i64(max(rep.Incidents, 1)), "format": rep.Format}
			if p := rep.Personal; opts.ShowHeaders && p != nil {
				c["original_mail_from"], c["original_rcpt_to"] = p.OriginalMailFrom, strings.Join(p.OriginalRcptTo, " ")
				for col, name := range map[string]string{"original_from": "From", "original_to": "To", "original_subject": "Subject", "original_message_id": "Message-ID", "original_date": "Date"} {
					for _, h := range p.Headers {
						if strings.EqualFold(h.Name, name) {
							c[col] = h.Value
							break
						}
					}
				}
			}
			t.row("failure-report", c)
		}
	}
	t.w.Flush()
	if err := t.w.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

func rate(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
func days(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
