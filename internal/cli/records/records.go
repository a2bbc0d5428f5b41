// Package records is the "emailauth records" command: the complete set of
// records a tenant domain must publish for a platform, merged with what it
// publishes already. The merging is pkg/profile's; this package reads the
// flags and renders the plan.
package records

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/profile"
	"github.com/penguinmails/emailauth/pkg/report"
)

// Options are the records command's inputs.
type Options struct {
	Domains []string
	Profile profileopt.Flags
	// GenerateDKIM is the directory where DKIM keys are made for the
	// selectors that need one; Force replaces existing key files.
	GenerateDKIM string
	Force        bool
	// TTL of the records (the profile's ttl, else 3600, unless set).
	TTL    int
	TTLSet bool
}

// Formats are the output formats, the default first.
var Formats = []string{"zone", "json", "table", "diff"}

// NewCmdRecords returns the records command. runF, when not nil, replaces
// the run function.
func NewCmdRecords(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "records [DOMAIN...] --profile FILE",
		Short: "Print the records a tenant domain must publish for a platform, merged with what it publishes",
		Long: `Print the complete set of records a tenant domain must publish to meet a
platform profile (docs/profiles.md), merged with what the domain already
publishes instead of duplicating it:

- SPF: the domain's one record gains the platform's includes, before its
  "all", and keeps its own terms; a second SPF record is never printed. A
  merge that would need more than 10 DNS lookups is not printed: it is
  reported with the cost of each term and what to cut (never the
  platform's includes).
- DMARC: the domain's record keeps its tags and its own rua, and gains the
  platform's report addresses and the policy the platform requires.
- DKIM: the selector's CNAME (a platform that hosts the keys), the pinned
  key, or with --generate-dkim DIR a new key for each selector that needs
  one: the private key is written to DIR/SELECTOR.DOMAIN.pem, mode 0600,
  never over an existing file (an existing key file is used as it is;
  --force replaces it). A private key is never printed.
- MX, MTA-STS, TLS-RPT and BIMI as the profile asks.

Records already right are kept and said so. With --tenants and --tenant,
the tenant's overrides and waivers apply, and without DOMAIN every domain
of the tenant is printed. The domain's current records are read as every
command reads them: --zone files first, then the resolver.

Output: a BIND zone snippet (zone, the default), a name/type/value table
for a DNS provider's web form, with names relative to the zone and
absolute and long TXT values already split (table), published -> required
(diff), or JSON.

Exit codes: 0 every record could be printed, 1 some could not (a merge over
the lookup limit, conflicting records, a key that is not known), 2 bad
input, 3 the DNS could not be read.`,
		Example: `  # what a tenant must publish, and the DKIM key generated
  emailauth records tenant.example --profile penguinmails.yaml --generate-dkim keys/

  # for a DNS provider's web form
  emailauth records tenant.example --profile penguinmails.yaml -o table

  # what changes, for every domain of one tenant
  emailauth records --profile penguinmails.yaml --tenants tenants.yaml --tenant acme -o diff

  # before the zone is published
  emailauth records tenant.example --profile penguinmails.yaml --offline --zone tenant.example.zone`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domains = args
			opts.TTLSet = cmd.Flags().Changed("ttl")
			if opts.TTLSet && (opts.TTL < 60 || opts.TTL > 604800) {
				return cmdutil.FlagErrorf("invalid --ttl %d: want 60 to 604800 seconds", opts.TTL)
			}
			if len(args) == 0 && opts.Profile.Tenant == "" {
				return cmdutil.FlagErrorf("no domain: give DOMAIN, or --tenant ID with a tenants file")
			}
			if opts.Force && opts.GenerateDKIM == "" {
				return cmdutil.FlagErrorf("--force goes with --generate-dkim DIR")
			}
			if runF != nil {
				return runF(opts)
			}
			return run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, Formats...)
	fl := cmd.Flags()
	opts.Profile.Add(fl, true)
	fl.StringVar(&opts.GenerateDKIM, "generate-dkim", "", "make the DKIM keys the selectors need in `DIR` (SELECTOR.DOMAIN.pem, mode 0600)")
	fl.BoolVar(&opts.Force, "force", false, "with --generate-dkim: replace existing key files (the old keys are lost)")
	fl.IntVar(&opts.TTL, "ttl", 3600, "TTL of the records (default: the profile's ttl, else 3600)")
	return cmd
}

func run(f *cmdutil.Factory, opts *Options) error {
	loaded, err := profileopt.Load(f, opts.Profile)
	if err != nil {
		return err
	}
	if loaded.Profile == nil {
		return cmdutil.FlagErrorf("records needs a platform profile: give --profile FILE (or profile: in the config file)")
	}
	var domains []string
	for _, a := range opts.Domains {
		d, err := f.Domain("DOMAIN", a)
		if err != nil {
			return err
		}
		if loaded.Tenant != nil {
			if td := loaded.Tenants.Lookup(d.ASCII); td == nil || td.Tenant != loaded.Tenant {
				return cmdutil.BadInputHint("DOMAIN", fmt.Errorf("%s is not a domain of tenant %q", d.ASCII, loaded.Tenant.ID), "leave out DOMAIN to print every domain of the tenant")
			}
		}
		domains = append(domains, d.ASCII)
	}
	if len(domains) == 0 {
		domains = loaded.Domains()
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	var plans []*profile.Plan
	var tally finding.Tally
	for _, d := range domains {
		req, err := loaded.Profile.For(d, loaded.Tenants, f.Now())
		if err != nil {
			return cmdutil.BadInput(d, err)
		}
		if opts.TTLSet {
			req.TTL = opts.TTL
		}
		p, err := profile.PlanRecords(f.Ctx(), r, req, profile.PlanOptions{Now: f.Now, GenerateDKIM: opts.GenerateDKIM, Force: opts.Force, Rand: f.Rand})
		if err != nil {
			var ke *profile.KeyError
			if errors.As(err, &ke) {
				return cmdutil.BadInputHint(ke.File, ke.Err, "--generate-dkim uses an existing key file as it is and never overwrites one; move the file away, or give --force to replace it")
			}
			return err
		}
		for _, k := range p.Keys {
			if k.Reused {
				f.IO.Notef("%s: selector %s: using the existing key in %s (--force replaces it)", d, k.Selector, k.File)
			} else {
				f.IO.Notef("%s: selector %s: wrote a new %s-%d private key to %s (mode 0600): install it in the signer, keep it secret", d, k.Selector, strings.ToUpper(k.Type), k.Bits, k.File)
			}
		}
		switch {
		case p.Blocked():
			tally.Add(finding.StatusFail)
		case !p.Complete() || p.Incomplete:
			tally.Add(finding.StatusError)
		default:
			tally.Add(finding.StatusPass)
		}
		plans = append(plans, p)
	}
	if err := render(f, plans); err != nil {
		return err
	}
	return auditRecords(f, plans, cmdutil.ExitFor(tally, finding.Error))
}

// render writes the plans in the chosen format.
func render(f *cmdutil.Factory, plans []*profile.Plan) error {
	switch f.Global.Output {
	case "json":
		return cmdutil.WriteJSON(f.IO.Out, struct {
			Schema  string          `json:"schema"`
			Domains []*profile.Plan `json:"domains"`
		}{"emailauth.records/v1", plans})
	case "table":
		for i, p := range plans {
			if err := renderTable(f, p, i > 0); err != nil {
				return err
			}
		}
		return nil
	case "diff":
		for i, p := range plans {
			renderDiff(f, p, i > 0)
		}
		return nil
	}
	for i, p := range plans {
		renderZone(f, p, i > 0)
	}
	return nil
}

// label names what a change is for: "SPF", "DKIM selector mailu".
func label(c profile.Change) string {
	if len(c.Requirements) == 0 {
		return c.Type
	}
	switch kind, _, _ := strings.Cut(c.Requirements[0], "-"); kind {
	case "spf":
		return "SPF"
	case "dkim":
		sel, _, _ := strings.Cut(c.Name, "._domainkey.")
		return "DKIM selector " + sel
	case "dmarc":
		return "DMARC"
	case "mx":
		return "MX"
	case "mta":
		return "MTA-STS"
	case "tls":
		return "TLS-RPT"
	case "bimi":
		return "BIMI"
	}
	return c.Requirements[0]
}

func heading(p *profile.Plan) string {
	name := p.Domain
	if p.Unicode != "" {
		name += " (" + p.Unicode + ")"
	}
	h := fmt.Sprintf("%s: the records profile %s requires", name, p.Profile)
	if p.Tenant != "" {
		h += fmt.Sprintf(" (tenant %s)", p.Tenant)
	}
	return h
}

func renderZone(f *cmdutil.Factory, p *profile.Plan, sep bool) {
	t := f.IO.Term()
	q := f.IO.Quiet
	if sep {
		t.Printf("\n")
	}
	if !q {
		t.Printf("; %s, merged with what it publishes\n", heading(p))
		t.Printf("; zone %s\n", p.Zone)
	}
	for _, c := range p.Changes {
		switch c.Action {
		case profile.ActionManual:
			if !q {
				t.Printf("\n")
			}
			t.Printf("; %s: NOT EMITTED: %s\n", label(c), c.Note)
			continue
		case profile.ActionKeep:
			if !q {
				t.Printf("\n; %s: unchanged: %s\n", label(c), c.Note)
			}
		case profile.ActionReplace:
			if !q {
				t.Printf("\n; %s: %s\n", label(c), c.Note)
				for _, cur := range c.Current {
					t.Printf("; replaces: %q\n", cur)
				}
			}
		default:
			if !q {
				t.Printf("\n; %s: %s\n", label(c), c.Note)
			}
		}
		t.Printf("%s\n", c.ZoneLine())
	}
	if len(p.Platform) > 0 && !q {
		t.Printf("\n; published by the platform, not in this zone:\n")
		for _, c := range p.Platform {
			t.Printf(";   %s\n;     %s\n", c.ZoneLine(), c.Note)
		}
	}
}

func renderTable(f *cmdutil.Factory, p *profile.Plan, sep bool) error {
	t := f.IO.Term()
	if sep {
		t.Printf("\n")
	}
	if !f.IO.Quiet {
		t.Printf("%s (zone %s)\n\n", heading(p), p.Zone)
	}
	var rows [][]string
	var notes []string
	for _, c := range p.Changes {
		value := quoted(c)
		if c.Action == profile.ActionManual {
			value = "(not emitted: see below)"
			notes = append(notes, fmt.Sprintf("%s, %s: not emitted: %s", c.Name, label(c), c.Note))
		}
		rows = append(rows, []string{p.Relative(c.Name), c.Name + ".", c.Type, fmt.Sprint(c.TTL), value, string(c.Action)})
	}
	if err := report.Grid(t, []string{"NAME", "ABSOLUTE NAME", "TYPE", "TTL", "VALUE", "ACTION"}, rows); err != nil {
		return err
	}
	for _, n := range notes {
		t.Printf("%s\n", n)
	}
	if len(p.Platform) > 0 && !f.IO.Quiet {
		t.Printf("\npublished by the platform, not in this zone:\n")
		for _, c := range p.Platform {
			t.Printf("  %s %s %s\n", c.Name+".", c.Type, quoted(c))
		}
	}
	return nil
}

// quoted is a record's value as a web form takes it: a TXT value split in
// quoted strings of at most 255 octets.
func quoted(c profile.Change) string {
	if c.Type != "TXT" {
		return c.Value
	}
	var q []string
	for _, s := range c.Strings() {
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, " ")
}

func renderDiff(f *cmdutil.Factory, p *profile.Plan, sep bool) {
	t := f.IO.Term()
	if sep {
		t.Printf("\n")
	}
	if !f.IO.Quiet {
		t.Printf("--- %s as published\n+++ %s as profile %s requires\n", p.Domain, p.Domain, p.Profile)
	}
	for _, c := range p.Changes {
		t.Printf("%s. %s (%s)\n", c.Name, c.Type, label(c))
		switch c.Action {
		case profile.ActionKeep:
			t.Printf("  %q\n", c.Value)
		case profile.ActionManual:
			for _, cur := range c.Current {
				t.Printf("  %q\n", cur)
			}
			t.Printf("! not emitted: %s\n", c.Note)
		default:
			for _, cur := range c.Current {
				t.Printf("- %q\n", cur)
			}
			t.Printf("+ %q\n", c.Value)
		}
	}
}
