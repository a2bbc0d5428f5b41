// Package docgen generates the reference documents under docs/ from the
// code: the findings catalogue. Tests fail when a committed document differs
// from what the code generates; `go test ./internal/docgen -update` rewrites
// them.
package docgen

import (
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// FindingsMarkdown renders docs/findings.md from the catalogue.
func FindingsMarkdown() string {
	var b strings.Builder
	b.WriteString(`# Findings catalogue

<!-- Generated from the code by internal/docgen: do not edit by hand.
     Regenerate with: go test ./internal/docgen -update -->

Every finding emailauth reports has a stable **code** (` + "`check.name`" + `), a
**severity** (error, warning or info), a message about the domain at hand and
a **fix** naming the record to publish or change. Codes are an API: CI
pipelines may match on them, so a code is never renamed or reused within a
report schema version. The severity below is the default.

Look a code up from the terminal with ` + "`emailauth explain CODE`" + `.

A check's status follows from its findings (pkg/finding's verdict model):
**fail** when one is an error, **error** when one is *transient* (it says
that something could not be found out: a DNS timeout or SERVFAIL, an
unreachable server) or the check could not complete, **warn** when one is a
warning, **pass** otherwise. A definite failure outranks a transient one.
Transient codes are marked below; they never make a check fail, so a CI gate
can tell "fix the records" (exit 1) from "try again later" (exit 3).

The codes are grouped by check, then by what else emailauth judges: ARC
chains (` + "`arc`" + `), the bulk-sender requirements of the large mailbox
providers (` + "`bulk`" + `), the reports receivers send back: DMARC aggregate
reports (` + "`dmarc-report`" + `) and SMTP TLS reports (` + "`tls-report`" + `), the
hash chain of the audit log (` + "`audit`" + `, emailauth audit verify) and the
days of a warm-up (` + "`warmup`" + `, emailauth warmup assess).

`)
	specs := check.Catalogue()
	// Table of contents by check.
	var groups []string
	byGroup := map[string][]*finding.Spec{}
	for _, s := range specs {
		g, _, _ := strings.Cut(s.Code, ".")
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], s)
	}
	b.WriteString("| group | codes |\n|---|---|\n")
	for _, g := range groups {
		var links []string
		for _, s := range byGroup[g] {
			links = append(links, fmt.Sprintf("[`%s`](#%s)", s.Code, anchor(s.Code)))
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s |\n", g, g, strings.Join(links, " "))
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n", g)
		for _, s := range byGroup[g] {
			fmt.Fprintf(&b, "\n### %s\n\n", s.Code)
			transient := ""
			if s.Transient {
				transient = "; transient (could not find out: never a failure)"
			}
			fmt.Fprintf(&b, "**%s** — severity: %s%s\n\n", s.Title, s.Severity, transient)
			fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(s.Meaning))
			fmt.Fprintf(&b, "**Fix:** %s\n", strings.TrimSpace(s.Fix))
		}
	}
	return b.String()
}

// anchor is the GitHub markdown anchor of a "### code" heading.
func anchor(code string) string {
	return strings.ReplaceAll(strings.ToLower(code), ".", "")
}
