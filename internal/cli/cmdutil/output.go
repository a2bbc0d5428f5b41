package cmdutil

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/pkg/report"
)

const outputsAnnotation = "emailauth/outputs"

// AddOutputFlag gives cmd its -o/--output flag, accepting exactly formats
// (case-insensitive); the first is the default. The flag's help lists them,
// and shell completion offers them. A command without output formats has no
// such flag.
func AddOutputFlag(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsAnnotation] = strings.Join(formats, ",")
	cmd.Flags().StringP("output", "o", formats[0], "output `format`: "+strings.Join(formats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// Outputs returns the --output formats cmd supports (none when it has no
// -o flag).
func Outputs(cmd *cobra.Command) []string {
	if s, ok := cmd.Annotations[outputsAnnotation]; ok {
		return strings.Split(s, ",")
	}
	return nil
}

// NormalizeOutput validates an --output value for cmd and returns it in
// lower case. from names where the value came from when it was not the
// command line (a config file, the environment), for the error.
func NormalizeOutput(cmd *cobra.Command, format, from string) (string, error) {
	supported := Outputs(cmd)
	if len(supported) == 0 {
		return "", nil
	}
	f := strings.ToLower(strings.TrimSpace(format))
	for _, s := range supported {
		if s == f {
			return f, nil
		}
	}
	where := ""
	if from != "" {
		where = " (from " + from + ")"
	}
	return "", FlagErrorf("invalid --output %q%s for %q: want one of %s", format, where, cmd.CommandPath(), strings.Join(supported, ", "))
}

// WriteJSON writes v as indented JSON followed by a newline, with every
// character a terminal could act on escaped (report.WriteJSON).
func WriteJSON(w io.Writer, v any) error { return report.WriteJSON(w, v) }
