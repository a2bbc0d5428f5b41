package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// The output formats every command supports. Commands that support more
// (check adds csv, junit, ...) declare them with SetOutputs.
var defaultOutputs = []string{"table", "json"}

const outputsAnnotation = "emailauth/outputs"

// SetOutputs declares the --output formats a command supports.
func SetOutputs(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsAnnotation] = strings.Join(formats, ",")
}

// Outputs returns the --output formats cmd supports.
func Outputs(cmd *cobra.Command) []string {
	if s, ok := cmd.Annotations[outputsAnnotation]; ok {
		return strings.Split(s, ",")
	}
	return defaultOutputs
}

// CheckOutput validates an --output value for cmd.
func CheckOutput(cmd *cobra.Command, format string) error {
	supported := Outputs(cmd)
	for _, f := range supported {
		if f == format {
			return nil
		}
	}
	return FlagErrorf("invalid --output %q for %q: want one of %s", format, cmd.CommandPath(), strings.Join(supported, ", "))
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
