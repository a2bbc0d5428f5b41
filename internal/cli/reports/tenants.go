package reports

import (
	"errors"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/profile"
)

// tenantsFile is the tenants file of the run: --tenants, or else the
// config file's tenants: (EMAILAUTH_TENANTS), as for check.
func tenantsFile(f *cmdutil.Factory, flag string) string {
	if flag == "" && f.Global != nil {
		return f.Global.Tenants
	}
	return flag
}

// loadTenants reads the tenants file (docs/profiles.md) with pkg/profile,
// as check --tenants does, and returns its domains (A-labels) mapped to
// their tenant ids. Only the ids and domains are used: the overrides and
// waivers are check's. A domain not listed takes the tenant of its closest
// listed parent (ingest.TenantFunc).
func loadTenants(name string) (map[string]string, error) {
	ts, err := profile.LoadTenants(name, nil, profile.LoadOptions{})
	if err != nil {
		var pe *profile.Error
		if errors.As(err, &pe) {
			return nil, cmdutil.BadInputHint("--tenants", err, pe.Hint)
		}
		return nil, cmdutil.BadInput("--tenants", err)
	}
	m := map[string]string{}
	for _, t := range ts.Tenants {
		for _, d := range t.Domains {
			m[d.Domain] = t.ID
		}
	}
	return m, nil
}
