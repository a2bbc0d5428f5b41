package dmarc

import (
	"fmt"
	"io"

	"github.com/penguinmails/emailauth/pkg/finding"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) severity(s finding.Severity) string {
	switch s {
	case finding.Error:
		return p.paint("31", s.String())
	case finding.Warning:
		return p.paint("33", s.String())
	}
	return s.String()
}

func writeFindings(out io.Writer, fs []finding.Finding, p painter, indent string) {
	if len(fs) == 0 {
		fmt.Fprintf(out, "%sfindings: none\n", indent)
		return
	}
	fmt.Fprintf(out, "%sfindings:\n", indent)
	for _, x := range fs {
		fmt.Fprintf(out, "%s  %s %s: %s\n", indent, p.severity(x.Severity), x.Code, x.Message)
		if x.Fix != "" {
			fmt.Fprintf(out, "%s    fix: %s\n", indent, x.Fix)
		}
	}
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
