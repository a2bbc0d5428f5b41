package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

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
	fs.String("config", "", "config `file` (default $XDG_CONFIG_HOME/emailauth/config.yaml, then ./emailauth.yaml)")
	fs.Bool("no-color", false, "never use colour (also NO_COLOR)")
	fs.CountP("verbose", "v", "say more on stderr; -vv shows every DNS query")
	fs.BoolP("quiet", "q", false, "print only results and errors: no notes, warnings or progress")
	fs.String("now", "", "the `time` to judge at (RFC 3339 or Unix seconds) instead of the clock: expiries, key ages, MTA-STS ids; pins reports for reproducible CI artifacts")
	fs.String("audit-log", "", "record security-relevant actions (keys generated, messages signed, records produced) in the audit log `FILE`; '' for none")
}

// fileConfig is the config file's schema: every key it may hold. A key not
// here is an error naming the file, the line and the nearest known key.
type fileConfig struct {
	Resolver stringList    `yaml:"resolver"`
	Timeout  time.Duration `yaml:"timeout"`
	Retries  int           `yaml:"retries"`
	TCP      bool          `yaml:"tcp"`
	Zone     stringList    `yaml:"zone"`
	Offline  bool          `yaml:"offline"`
	Output   string        `yaml:"output"`
	NoColor  bool          `yaml:"no-color"`
	Verbose  int           `yaml:"verbose"`
	Quiet    bool          `yaml:"quiet"`
	DKIM     struct {
		Selectors stringList `yaml:"selectors"`
	} `yaml:"dkim"`
	AuditLog string       `yaml:"audit_log"`
	Warmup   warmupConfig `yaml:"warmup"`
	// Profile is a platform profile's file, or the profile itself (a
	// mapping, validated by pkg/profile when a command uses it); Tenants
	// a tenants file. Relative paths are relative to the config file.
	Profile profileKey `yaml:"profile"`
	Tenants string     `yaml:"tenants"`
}

// profileKey is the config file's profile: a file name, or a mapping that
// is the profile.
type profileKey struct{}

func (profileKey) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode {
		return nil
	}
	return fmt.Errorf("line %d: profile holds a %s; want a file name or a mapping (the profile itself)", n.Line, kindName(n.Kind))
}

// stringList is a YAML list of strings, or one string of items separated by
// commas or spaces.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = splitList([]string{n.Value})
		return nil
	case yaml.SequenceNode:
		var items []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: want a string, got a %s", c.Line, kindName(c.Kind))
			}
			items = append(items, c.Value)
		}
		*l = items
		return nil
	}
	return fmt.Errorf("line %d: want a list of strings, got a %s", n.Line, kindName(n.Kind))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "value"
}

// loadConfig merges flags, EMAILAUTH_* environment, the config file and the
// defaults and validates them into f.Global.
func loadConfig(cmd *cobra.Command, f *cmdutil.Factory) error {
	v := viper.New()
	v.SetEnvPrefix("EMAILAUTH")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}

	file, explicit := configFile(v, f)
	if file != "" {
		data, err := os.ReadFile(file)
		switch {
		case err != nil && errors.Is(err, os.ErrNotExist):
			if explicit {
				return cmdutil.BadInputHint(file, errors.New("config file not found"), "check the path given to --config or EMAILAUTH_CONFIG")
			}
			file = ""
		case err != nil:
			return cmdutil.BadInput(file, errors.Unwrap(err))
		default:
			if err := validateConfig(file, data); err != nil {
				return err
			}
			v.SetConfigType("yaml")
			if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
				return cmdutil.BadInputHint(file, fmt.Errorf("malformed config file: %v", cleanYAMLError(err)), "the config file is YAML; see docs/configuration.md")
			}
		}
	}

	g := &cmdutil.GlobalOptions{
		Resolvers:     splitList(v.GetStringSlice("resolver")),
		Timeout:       v.GetDuration("timeout"),
		Retries:       v.GetInt("retries"),
		TCP:           v.GetBool("tcp"),
		Zones:         splitList(v.GetStringSlice("zone")),
		Offline:       v.GetBool("offline"),
		NoColor:       v.GetBool("no-color") || f.Getenv("NO_COLOR") != "",
		Verbose:       v.GetInt("verbose"),
		Quiet:         v.GetBool("quiet"),
		ConfigFile:    file,
		DKIMSelectors: splitList(v.GetStringSlice("dkim.selectors")),
	}
	configPath := func(key string) string {
		p := v.GetString(key)
		if p != "" && file != "" && v.InConfig(key) && f.Getenv("EMAILAUTH_"+strings.ToUpper(key)) == "" && !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), p)
		}
		return p
	}
	if _, inline := v.Get("profile").(map[string]any); inline && f.Getenv("EMAILAUTH_PROFILE") == "" {
		g.Profile, g.ProfileInConfig = file, true
	} else {
		g.Profile = configPath("profile")
	}
	g.Tenants = configPath("tenants")
	if raw := v.GetString("timeout"); g.Timeout <= 0 {
		return cmdutil.FlagErrorf("invalid --timeout %q: want a positive duration such as 2s or 500ms", raw)
	}
	if g.Retries < 0 || g.Retries > 10 {
		return cmdutil.FlagErrorf("invalid --retries %d: want 0 to 10", g.Retries)
	}
	if len(cmdutil.Outputs(cmd)) > 0 {
		from := ""
		if fl := cmd.Flags().Lookup("output"); fl == nil || !fl.Changed {
			switch {
			case f.Getenv("EMAILAUTH_OUTPUT") != "":
				from = "EMAILAUTH_OUTPUT"
			case v.InConfig("output"):
				from = file
			}
		}
		out, err := cmdutil.NormalizeOutput(cmd, v.GetString("output"), from)
		if err != nil {
			return err
		}
		g.Output = out
	}
	// The audit log's clock is taken before --now pins the clock: a
	// record is stamped with the time it was written, never a pinned one.
	if err := opsConfig(cmd, v, f, g, file); err != nil {
		return err
	}
	if raw := v.GetString("now"); raw != "" {
		now, err := parseNow(raw)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --now %q: want an RFC 3339 time (2026-11-23T12:00:00Z) or Unix seconds", raw)
		}
		f.Now = func() time.Time { return now }
	}
	if g.Offline && len(g.Zones) == 0 {
		return cmdutil.FlagErrorf("--offline needs at least one --zone file: with neither, there is no DNS to ask")
	}
	f.Global = g
	f.IO.Verbosity = g.Verbose
	f.IO.Quiet = g.Quiet
	if g.NoColor {
		f.IO.DisableColor()
	}
	f.IO.FlushWarnings()
	if g.Verbose > 0 && g.ConfigFile != "" {
		f.IO.Verbosef(1, "config: %s", g.ConfigFile)
	}
	return nil
}

// parseNow reads --now: RFC 3339, or Unix seconds.
func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(secs, 0).UTC(), nil
}

// validateConfig checks the config file against fileConfig: every key known
// (an unknown one is reported with its line and the nearest known key) and
// every value of the right type.
func validateConfig(file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cmdutil.BadInputHint(file, fmt.Errorf("malformed config file: %v", cleanYAMLError(err)), "the config file is YAML; see docs/configuration.md")
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return cmdutil.BadInputHint(file, fmt.Errorf("line %d: the config file must be a mapping of keys to values", root.Line), "see docs/configuration.md for an example")
	}
	if err := checkKeys(file, root, reflect.TypeOf(fileConfig{}), ""); err != nil {
		return err
	}
	var fc fileConfig
	if err := root.Decode(&fc); err != nil {
		return cmdutil.BadInputHint(file, fmt.Errorf("%v", cleanYAMLError(err)), "see docs/configuration.md for each key's type")
	}
	return nil
}

// checkKeys walks a mapping node against the struct type t.
func checkKeys(file string, n *yaml.Node, t reflect.Type, prefix string) error {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		fields[name] = t.Field(i).Type
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		ft, ok := fields[k.Value]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, prefix+name)
			}
			sort.Strings(known)
			hint := "known keys here: " + strings.Join(known, ", ")
			if near := cmdutil.Nearest(key, known, 1); len(near) > 0 {
				hint = fmt.Sprintf("did you mean %q? %s", near[0], hint)
			}
			return cmdutil.BadInputHint(file, fmt.Errorf("line %d: unknown key %q", k.Line, key), hint)
		}
		if prev, dup := seen[k.Value]; dup {
			return cmdutil.BadInput(file, fmt.Errorf("line %d: key %q given twice (first on line %d)", k.Line, key, prev))
		}
		seen[k.Value] = k.Line
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)) && !reflect.PointerTo(ft).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) && !ft.Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
			if val.Kind != yaml.MappingNode {
				return cmdutil.BadInputHint(file, fmt.Errorf("line %d: %q holds a %s; want a mapping", val.Line, key, kindName(val.Kind)), "see docs/configuration.md")
			}
			if err := checkKeys(file, val, ft, key+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// configFile returns the config file to read and whether the user named it.
func configFile(v *viper.Viper, f *cmdutil.Factory) (string, bool) {
	if p := v.GetString("config"); p != "" {
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

// cleanYAMLError removes the YAML library's wrapping from an error, keeping
// the line.
func cleanYAMLError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "yaml: "); i >= 0 {
		s = s[i+len("yaml: "):]
	}
	s = strings.TrimPrefix(s, "unmarshal errors:\n  ")
	return strings.ReplaceAll(s, "\n  ", "; ")
}
