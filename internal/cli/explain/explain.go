// Package explain is the "emailauth explain" command: what a finding code
// means and how to fix it, from the catalogue in the code.
package explain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

type specJSON struct {
	Code      string           `json:"code"`
	Severity  finding.Severity `json:"severity"`
	Transient bool             `json:"transient,omitempty"`
	Title     string           `json:"title"`
	Meaning   string           `json:"meaning"`
	Fix       string           `json:"fix"`
}

func toJSON(s *finding.Spec) specJSON {
	return specJSON{s.Code, s.Severity, s.Transient, s.Title, s.Meaning, s.Fix}
}

// NewCmdExplain returns the explain command.
func NewCmdExplain(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explain [CODE...]",
		Short: "Explain a finding code, or list them all",
		Long: `Explain what a finding code means and how to fix it. Without a code, list
every code with its severity and title. The same text is in docs/findings.md.`,
		Example: `  emailauth explain spf.lookup-limit
  emailauth explain            # list every code
  emailauth explain -o json dmarc.policy-none`,
		RunE: func(cmd *cobra.Command, args []string) error {
			all := check.Catalogue()
			var specs []*finding.Spec
			if len(args) == 0 {
				specs = all
			}
			for _, code := range args {
				s := lookupCode(all, strings.ToLower(strings.TrimSpace(code)))
				if s == nil {
					return cmdutil.BadInputHint("CODE", fmt.Errorf("unknown finding code %q", code), suggest(code, all))
				}
				specs = append(specs, s)
			}
			if f.Global.Output == "json" {
				out := make([]specJSON, 0, len(specs))
				for _, s := range specs {
					out = append(out, toJSON(s))
				}
				return cmdutil.WriteJSON(f.IO.Out, out)
			}
			w := f.IO.Term()
			if len(args) == 0 {
				rows := make([][]string, 0, len(specs))
				for _, s := range specs {
					rows = append(rows, []string{s.Code, s.Severity.String(), s.Title})
				}
				return report.Grid(w, []string{"CODE", "SEVERITY", "TITLE"}, rows)
			}
			for i, s := range specs {
				if i > 0 {
					w.Printf("\n")
				}
				w.Printf("%s (%s): %s\n\n%s\n\nFix: %s\n", s.Code, w.Style(report.SeverityStyle(s.Severity), s.Severity.String()), s.Title, s.Meaning, s.Fix)
			}
			return nil
		},
	}
	cmd.ValidArgsFunction = func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var codes []cobra.Completion
		for _, s := range check.Catalogue() {
			if strings.HasPrefix(s.Code, toComplete) {
				codes = append(codes, cobra.CompletionWithDesc(s.Code, s.Title))
			}
		}
		return codes, cobra.ShellCompDirectiveNoFileComp
	}
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// suggest names the codes nearest the unknown one, else the codes that
// share its check.
func suggest(code string, all []*finding.Spec) string {
	codes := make([]string, len(all))
	for i, s := range all {
		codes[i] = s.Code
	}
	if near := cmdutil.Nearest(strings.ToLower(code), codes, 3); len(near) > 0 {
		return "did you mean " + strings.Join(near, " or ") + "?"
	}
	group, _, _ := strings.Cut(strings.ToLower(code), ".")
	var same []string
	for _, s := range all {
		if strings.HasPrefix(s.Code, group+".") {
			same = append(same, s.Code)
		}
	}
	if len(same) > 0 {
		sort.Strings(same)
		return "codes of " + group + ": " + strings.Join(same, ", ")
	}
	return "run 'emailauth explain' to list every code"
}

// lookupCode finds a code the user typed in the catalogue.
func lookupCode(all []*finding.Spec, code string) *finding.Spec {
	for _, s := range all {
		if s.Code == code {
			return s
		}
	}
	return nil
}
