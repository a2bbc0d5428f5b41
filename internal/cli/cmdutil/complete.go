package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
)

// CompleteValues completes a flag or argument from a fixed list.
func CompleteValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// CompleteList completes a comma-separated list of values ("spf,dk" offers
// "spf,dkim"), never offering a value twice.
func CompleteList(values ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		used := map[string]bool{}
		for _, v := range strings.Split(done, ",") {
			used[v] = true
		}
		var out []cobra.Completion
		for _, v := range values {
			if !used[v] && strings.HasPrefix(v, last) {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// CompleteFiles completes file names with the given extensions (without the
// dot), and directories.
func CompleteFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}
