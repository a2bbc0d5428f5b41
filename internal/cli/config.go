package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// addGlobalFlags defines the persistent flags every command accepts.
func addGlobalFlags(fs *pflag.FlagSet) {
	fs.StringArray("resolver", nil, "recursive resolver to ask, `host[:port]` (IPv6 in brackets); repeatable; default: /etc/resolv.conf")
	fs.Duration("timeout", 2*time.Second, "timeout for one DNS query")
	fs.Int("retries", 2, "how many times to retry a DNS query that timed out")
	fs.Bool("tcp", false, "always query over TCP")
	fs.StringArray("zone", nil, "BIND zone `file` that answers for the names at and below its apex; repeatable")
	fs.Bool("offline", false, "send no DNS packet: the --zone files are the whole DNS")
	fs.StringP("output", "o", "table", "output `format`: table, json (some commands support more)")
	fs.String("config", "", "config `file` (default $XDG_CONFIG_HOME/emailauth/config.yaml, then ./emailauth.yaml)")
	fs.Bool("no-color", false, "never use colour (also NO_COLOR)")
	fs.CountP("verbose", "v", "say more on stderr; -vv shows every DNS query")
	fs.BoolP("quiet", "q", false, "print only results and errors")
}

// loadConfig merges flags, EMAILAUTH_* environment, the config file and the
// defaults into f.Config and validates the global options into f.Global.
func loadConfig(cmd *cobra.Command, f *cmdutil.Factory) error {
	v := f.Config
	v.SetEnvPrefix("EMAILAUTH")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}

	file, explicit := configFile(cmd, f)
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var nf viper.ConfigFileNotFoundError
			if errors.As(err, &nf) || errors.Is(err, os.ErrNotExist) {
				if explicit {
					return cmdutil.BadInputHint(file, errors.New("config file not found"), "check the path given to --config or EMAILAUTH_CONFIG")
				}
			} else {
				return cmdutil.BadInputHint(file, fmt.Errorf("malformed config file: %v", cleanYAMLError(err)), "the config file is YAML; see docs/configuration.md")
			}
		}
	}

	g := &cmdutil.GlobalOptions{
		Resolvers:  splitList(v.GetStringSlice("resolver")),
		Timeout:    v.GetDuration("timeout"),
		Retries:    v.GetInt("retries"),
		TCP:        v.GetBool("tcp"),
		Zones:      splitList(v.GetStringSlice("zone")),
		Offline:    v.GetBool("offline"),
		Output:     v.GetString("output"),
		NoColor:    v.GetBool("no-color") || f.Getenv("NO_COLOR") != "",
		Verbose:    v.GetInt("verbose"),
		Quiet:      v.GetBool("quiet"),
		ConfigFile: v.ConfigFileUsed(),
	}
	if raw := v.GetString("timeout"); g.Timeout <= 0 {
		return cmdutil.FlagErrorf("invalid --timeout %q: want a positive duration such as 2s or 500ms", raw)
	}
	if g.Retries < 0 || g.Retries > 10 {
		return cmdutil.FlagErrorf("invalid --retries %d: want 0 to 10", g.Retries)
	}
	if err := cmdutil.CheckOutput(cmd, g.Output); err != nil {
		return err
	}
	if g.Offline && len(g.Zones) == 0 {
		return cmdutil.FlagErrorf("--offline needs at least one --zone file: with neither, there is no DNS to ask")
	}
	f.Global = g
	f.IO.Verbosity = g.Verbose
	f.IO.Quiet = g.Quiet
	if g.NoColor {
		f.IO.Color = false
	}
	if g.Verbose > 0 && g.ConfigFile != "" {
		f.IO.Verbosef(1, "config: %s", g.ConfigFile)
	}
	return nil
}

// configFile returns the config file to read and whether the user named it.
func configFile(cmd *cobra.Command, f *cmdutil.Factory) (string, bool) {
	if p := f.Config.GetString("config"); p != "" {
		return p, true
	}
	dir := f.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := f.Getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir != "" {
		p := filepath.Join(dir, "emailauth", "config.yaml")
		if _, err := os.Stat(p); err == nil {
			return p, false
		}
	}
	if _, err := os.Stat("emailauth.yaml"); err == nil {
		return "emailauth.yaml", false
	}
	return "", false
}

// splitList splits values that came as one string from the environment or
// the config file ("a, b c") into items.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	return out
}

// cleanYAMLError removes viper's wrapping from a YAML error, keeping the line.
func cleanYAMLError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "yaml: "); i >= 0 {
		return s[i:]
	}
	return s
}
