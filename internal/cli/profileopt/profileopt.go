// Package profileopt reads the platform profile and the tenants file that
// check, records and wait share: the --profile, --tenants and --tenant flags
// (or the config file's profile: and tenants: keys), loaded and validated by
// pkg/profile, errors made bad input with their hint.
package profileopt

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/pflag"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	pcheck "github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/profile"
)

// Flags are the values of --profile, --tenants and --tenant.
type Flags struct {
	Profile string
	Tenants string
	Tenant  string
}

// Add defines the flags on fs; --tenant only withTenant.
func (fl *Flags) Add(fs *pflag.FlagSet, withTenant bool) {
	fs.StringVar(&fl.Profile, "profile", "", "platform profile `file` (YAML; docs/profiles.md); default: profile: in the config file")
	fs.StringVar(&fl.Tenants, "tenants", "", "tenants `file`: each tenant's domains, overrides and waivers; default: tenants: in the config file")
	if withTenant {
		fs.StringVar(&fl.Tenant, "tenant", "", "only the domains of the tenant with this `id` (needs a tenants file)")
	}
}

// Loaded is the profile and tenants a command runs with.
type Loaded struct {
	Profile *profile.Profile
	Tenants *profile.Tenants
	// Tenant is the tenant --tenant names; nil without it.
	Tenant *profile.Tenant
}

// Codes returns every finding code the checks can emit, for validating
// ignore, severity and waiver codes.
func Codes() []string {
	var out []string
	for _, s := range pcheck.Catalogue() {
		out = append(out, s.Code)
	}
	return out
}

// Load reads what the flags name or, failing them, the config file. With
// no profile anywhere it returns a Loaded with a nil Profile; a tenants
// file or --tenant without a profile is a usage error.
func Load(f *cmdutil.Factory, fl Flags) (*Loaded, error) {
	out := &Loaded{}
	opts := profile.LoadOptions{Codes: Codes()}
	var err error
	switch {
	case fl.Profile != "":
		out.Profile, err = profile.Load(fl.Profile, opts)
	case f.Global != nil && f.Global.ProfileInConfig:
		out.Profile, err = profile.LoadKey(f.Global.Profile, "profile", opts)
	case f.Global != nil && f.Global.Profile != "":
		out.Profile, err = profile.Load(f.Global.Profile, opts)
	}
	if err != nil {
		return nil, badInput("--profile", err)
	}
	tenants := fl.Tenants
	if tenants == "" && f.Global != nil {
		tenants = f.Global.Tenants
	}
	if tenants != "" {
		if out.Profile == nil {
			return nil, cmdutil.FlagErrorf("a tenants file needs a platform profile: give --profile FILE (or profile: in the config file)")
		}
		out.Tenants, err = profile.LoadTenants(tenants, out.Profile, opts)
		if err != nil {
			return nil, badInput("--tenants", err)
		}
	}
	if fl.Tenant != "" {
		if out.Tenants == nil {
			return nil, cmdutil.FlagErrorf("--tenant %s needs a tenants file: give --tenants FILE (or tenants: in the config file)", fl.Tenant)
		}
		out.Tenant = out.Tenants.Tenant(fl.Tenant)
		if out.Tenant == nil {
			hint := "the tenants are: " + strings.Join(first(out.Tenants.IDs(), 20), ", ")
			if near := finding.NearestCodes(fl.Tenant, out.Tenants.IDs(), 1); len(near) > 0 {
				hint = fmt.Sprintf("did you mean %q? %s", near[0], hint)
			}
			return nil, cmdutil.BadInputHint("--tenant", fmt.Errorf("no tenant %q in %s", fl.Tenant, out.Tenants.File), hint)
		}
	}
	return out, nil
}

func first(l []string, n int) []string {
	if len(l) > n {
		return append(l[:n:n], "...")
	}
	return l
}

// badInput makes a profile or tenants file error bad input (exit 2), with
// its hint.
// badInput is the error of a profile or tenants file that cannot be used;
// flag names which, when the file is missing (the error then names only
// the path).
func badInput(flag string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		what := "the platform profile (YAML; docs/profiles.md)"
		if flag == "--tenants" {
			what = "the tenants file (YAML; docs/profiles.md)"
		}
		return cmdutil.BadInputHint(flag, err, "give the path of "+what)
	}
	var pe *profile.Error
	if errors.As(err, &pe) {
		return cmdutil.BadInputHint("", err, pe.Hint)
	}
	return cmdutil.BadInput("", err)
}

// Domains returns the domains a run over the tenants covers: the --tenant's,
// or every tenant's, in the file's order.
func (l *Loaded) Domains() []string {
	var out []string
	if l.Tenant != nil {
		for _, d := range l.Tenant.Domains {
			out = append(out, d.Domain)
		}
		return out
	}
	if l.Tenants == nil {
		return nil
	}
	for _, t := range l.Tenants.Tenants {
		for _, d := range t.Domains {
			out = append(out, d.Domain)
		}
	}
	return out
}
