// Package version is the "emailauth version" command.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// Set at build time with -ldflags "-X .../version.Version=v1.2.3 ...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is what "emailauth version" reports.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"`
	// Dirty is true when the binary was built from a work tree with
	// uncommitted changes.
	Dirty bool   `json:"dirty,omitempty"`
	Go    string `json:"go"`
	OS    string `json:"os"`
	Arch  string `json:"arch"`
}

// Get returns the build's version information: from ldflags when set, else
// from the module build info (go install), else "devel".
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Dirty = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
		if info.Commit != "" {
			info.Version += "-" + info.Commit[:min(12, len(info.Commit))]
		}
	}
	if info.Dirty && !strings.HasSuffix(info.Version, "+dirty") {
		info.Version += "+dirty"
	}
	return info
}

// NewCmdVersion returns the version command.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print emailauth's version",
		Args:  cobra.NoArgs,
		Example: `  emailauth version
  emailauth version -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := Get()
			if f.Global.Output == "json" {
				return cmdutil.WriteJSON(f.IO.Out, info)
			}
			w := f.IO.Term()
			w.Printf("emailauth %s\n", info.Version)
			if f.IO.Quiet {
				return nil
			}
			if info.Commit != "" {
				w.Printf("commit:  %s\n", info.Commit)
			}
			if info.Date != "" {
				w.Printf("date:    %s\n", info.Date)
			}
			w.Printf("go:      %s %s/%s\n", info.Go, info.OS, info.Arch)
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}
