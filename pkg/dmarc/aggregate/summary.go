package aggregate

import (
	"sort"
	"time"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// SourceSummary is what the reports say about one sending IP address.
type SourceSummary struct {
	SourceIP string `json:"source_ip"`
	Messages int64  `json:"messages"`
	// Disposition counts messages by what receivers did.
	Disposition Dispositions `json:"disposition"`
	// DMARCPass, SPFAligned and DKIMAligned count messages with a DMARC
	// pass, an aligned SPF pass and an aligned DKIM pass.
	DMARCPass   int64 `json:"dmarc_pass"`
	DMARCFail   int64 `json:"dmarc_fail"`
	SPFAligned  int64 `json:"spf_aligned_pass"`
	DKIMAligned int64 `json:"dkim_aligned_pass"`
	// Rates are fractions of Messages, from 0 to 1.
	DMARCPassRate   float64 `json:"dmarc_pass_rate"`
	SPFAlignedRate  float64 `json:"spf_aligned_pass_rate"`
	DKIMAlignedRate float64 `json:"dkim_aligned_pass_rate"`
	// HeaderFrom lists the From domains seen from this source.
	HeaderFrom []string `json:"header_from"`
	// Reporters lists the organizations that reported this source.
	Reporters []string `json:"reporters"`
}

// Dispositions counts messages per disposition.
type Dispositions struct {
	None       int64 `json:"none"`
	Quarantine int64 `json:"quarantine"`
	Reject     int64 `json:"reject"`
	Other      int64 `json:"other,omitempty"`
}

// ReportInfo identifies one report in a summary.
type ReportInfo struct {
	Source   string    `json:"source"`
	Schema   string    `json:"schema"`
	OrgName  string    `json:"org_name"`
	ReportID string    `json:"report_id"`
	Domain   string    `json:"domain"`
	Policy   string    `json:"policy"`
	Begin    time.Time `json:"begin"`
	End      time.Time `json:"end"`
	Records  int       `json:"records"`
	Messages int64     `json:"messages"`
	// Warnings name the quirks the report was read despite.
	Warnings []mailreport.Warning `json:"warnings,omitempty"`
}

// Summary aggregates reports per source IP, failing sources first.
type Summary struct {
	Reports  []ReportInfo    `json:"reports"`
	Sources  []SourceSummary `json:"sources"`
	Messages int64           `json:"messages"`
	// DMARCFail is the number of messages that failed DMARC.
	DMARCFail int64 `json:"dmarc_fail"`
	// Duplicates counts reports skipped because the same org_name and
	// report_id were already read.
	Duplicates int `json:"duplicates"`
}

// Summarize builds the per-source summary of reports. A report seen twice
// (same org_name and report_id) is counted once.
func Summarize(reports []*Report) *Summary {
	s := &Summary{Reports: []ReportInfo{}, Sources: []SourceSummary{}}
	bySource := map[string]*SourceSummary{}
	froms := map[string]map[string]bool{}
	orgs := map[string]map[string]bool{}
	seen := map[[2]string]bool{}
	for _, rep := range reports {
		key := [2]string{rep.Metadata.OrgName, rep.Metadata.ReportID}
		if rep.Metadata.ReportID != "" && seen[key] {
			s.Duplicates++
			continue
		}
		seen[key] = true
		info := ReportInfo{Source: rep.Source, Schema: rep.Schema, OrgName: rep.Metadata.OrgName, ReportID: rep.Metadata.ReportID, Domain: rep.Policy.Domain, Policy: rep.Policy.P, Begin: rep.Metadata.Begin, End: rep.Metadata.End, Records: len(rep.Records), Warnings: rep.Warnings}
		for i := range rep.Records {
			r := &rep.Records[i]
			info.Messages += r.Count
			src := bySource[r.SourceIP]
			if src == nil {
				src = &SourceSummary{SourceIP: r.SourceIP}
				bySource[r.SourceIP] = src
				froms[r.SourceIP] = map[string]bool{}
				orgs[r.SourceIP] = map[string]bool{}
			}
			src.Messages += r.Count
			switch r.Disposition {
			case "none", "pass":
				// RFC 9990 adds "pass": delivered with no policy action.
				src.Disposition.None += r.Count
			case "quarantine":
				src.Disposition.Quarantine += r.Count
			case "reject":
				src.Disposition.Reject += r.Count
			default:
				src.Disposition.Other += r.Count
			}
			if r.DMARCPass() {
				src.DMARCPass += r.Count
			} else {
				src.DMARCFail += r.Count
			}
			if r.SPF == "pass" {
				src.SPFAligned += r.Count
			}
			if r.DKIM == "pass" {
				src.DKIMAligned += r.Count
			}
			if r.HeaderFrom != "" {
				froms[r.SourceIP][r.HeaderFrom] = true
			}
			if rep.Metadata.OrgName != "" {
				orgs[r.SourceIP][rep.Metadata.OrgName] = true
			}
		}
		s.Messages += info.Messages
		s.Reports = append(s.Reports, info)
	}
	for ip, src := range bySource {
		if src.Messages > 0 {
			m := float64(src.Messages)
			src.DMARCPassRate = float64(src.DMARCPass) / m
			src.SPFAlignedRate = float64(src.SPFAligned) / m
			src.DKIMAlignedRate = float64(src.DKIMAligned) / m
		}
		src.HeaderFrom = sortedKeys(froms[ip])
		src.Reporters = sortedKeys(orgs[ip])
		s.DMARCFail += src.DMARCFail
		s.Sources = append(s.Sources, *src)
	}
	sort.Slice(s.Sources, func(i, j int) bool {
		a, b := s.Sources[i], s.Sources[j]
		if a.DMARCFail != b.DMARCFail {
			return a.DMARCFail > b.DMARCFail
		}
		if a.Messages != b.Messages {
			return a.Messages > b.Messages
		}
		return a.SourceIP < b.SourceIP
	})
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
