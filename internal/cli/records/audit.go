package records

import (
	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/profile"
)

// auditRecords records, in the audit log if there is one, each DKIM key
// written (--generate-dkim) and each domain's records to publish (added
// or replaced), once they have been printed. exit is the run's result: a
// failure (1) still wins over a record that could not be written, which is
// then reported on stderr; otherwise that error is the result (exit 3).
func auditRecords(f *cmdutil.Factory, plans []*profile.Plan, exit error) error {
	var first error
	note := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, p := range plans {
		for _, k := range p.Keys {
			if k.Reused {
				continue
			}
			// The key just written is read back for its public half:
			// the audit record names a key by its fingerprint.
			key, err := dkimkey.ReadPrivateKeyFile(k.File)
			if err != nil {
				note(err)
				continue
			}
			note(f.Audit(audit.NewKeyGenerated(key.Public(), k.File, p.Domain, k.Selector)))
		}
		ev := audit.RecordsProduced{Domain: p.Domain, Profile: p.Profile, Tenant: p.Tenant, Records: []audit.DNSRecord{}}
		for _, c := range append(append([]profile.Change{}, p.Changes...), p.Platform...) {
			if c.Action == profile.ActionAdd || c.Action == profile.ActionReplace {
				ev.Records = append(ev.Records, audit.DNSRecord{Name: c.Name, Type: c.Type, TTL: c.TTL, Value: c.Value, Action: string(c.Action)})
			}
		}
		note(f.Audit(ev))
	}
	return f.WithAudit(exit, first)
}
