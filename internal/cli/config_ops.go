package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/warmup"
)

// warmupConfig is the config file's warmup: section, the warmup commands'
// defaults. Values are read as text: rates are percentages ("0.3%").
type warmupConfig struct {
	Start             string `yaml:"start"`
	Growth            string `yaml:"growth"`
	MaxGrowth         string `yaml:"max-growth"`
	ComplaintSlowDown string `yaml:"complaint-slow-down"`
	ComplaintPause    string `yaml:"complaint-pause"`
	BounceSlowDown    string `yaml:"bounce-slow-down"`
	BouncePause       string `yaml:"bounce-pause"`
	OverPlan          string `yaml:"over-plan"`
}

// opsConfig reads the audit log and the warmup defaults into g, and the
// command line and the clock audit records keep into f. It runs before
// --now replaces f.Now.
func opsConfig(cmd *cobra.Command, v *viper.Viper, f *cmdutil.Factory, g *cmdutil.GlobalOptions, file string) error {
	// audit_log: in the file (or EMAILAUTH_AUDIT_LOG); --audit-log over
	// both, and --audit-log '' turns a configured log off.
	g.AuditLog = v.GetString("audit_log")
	if fl := cmd.Flags().Lookup("audit-log"); fl != nil && fl.Changed {
		g.AuditLog = fl.Value.String()
	}
	f.AuditCommand = cmdutil.AuditCommandLine(cmd)
	f.AuditClock = f.Now // before --now pins f.Now

	w := cmdutil.DefaultWarmup()
	source := func(key string) string {
		env := "EMAILAUTH_WARMUP_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
		if f.Getenv(env) != "" {
			return env
		}
		return file + ": warmup." + key
	}
	get := func(key string) string { return strings.TrimSpace(v.GetString("warmup." + key)) }
	if s := get("start"); s != "" {
		n, err := warmup.ParseVolume(s)
		if err != nil {
			return cmdutil.BadInputHint(source("start"), err, "the first day's volume, such as 50")
		}
		w.Start = n
	}
	for _, fl := range []struct {
		key string
		dst *float64
	}{{"growth", &w.Growth}, {"max-growth", &w.MaxGrowth}} {
		s := get(fl.key)
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !(x > 1 && x <= 10) {
			return cmdutil.BadInputHint(source(fl.key), fmt.Errorf("%q is not a daily growth factor above 1 and at most 10", s), "1.5 is +50% a day; 2 is doubling")
		}
		*fl.dst = x
	}
	for _, r := range []struct {
		key string
		dst *warmup.Rate
	}{
		{"complaint-slow-down", &w.Thresholds.ComplaintSlowDown}, {"complaint-pause", &w.Thresholds.ComplaintPause},
		{"bounce-slow-down", &w.Thresholds.BounceSlowDown}, {"bounce-pause", &w.Thresholds.BouncePause},
		{"over-plan", &w.Thresholds.OverPlan},
	} {
		s := get(r.key)
		if s == "" {
			continue
		}
		rate, err := warmup.ParseRate(s)
		if err != nil {
			return cmdutil.BadInputHint(source(r.key), err, "write rates as percentages, quoted in YAML if you like: \"0.3%\"")
		}
		*r.dst = rate
	}
	if w.Growth > w.MaxGrowth {
		return cmdutil.BadInputHint(source("growth"), fmt.Errorf("the growth (%g) is above the maximum growth (%g)", w.Growth, w.MaxGrowth), "lower warmup.growth or raise warmup.max-growth")
	}
	g.Warmup = w
	return nil
}
