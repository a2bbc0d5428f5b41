package dkim

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// legacyDomain is the hidden, deprecated --domain flag of keygen and
// record: the domain is positional now (docs/cli.md), and --domain D fills
// the argument when it is absent.
type legacyDomain struct{ value string }

func (l *legacyDomain) add(f *cmdutil.Factory, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&l.value, "domain", "", "the signing `domain` (d=); give it as the DOMAIN argument instead")
	cmdutil.Deprecate(f.IO, fl, "domain", "give the domain as the DOMAIN argument instead")
}

// domain reads the DOMAIN argument, or the deprecated --domain when there is
// no argument. Both may be given only when they name the same domain.
func (l *legacyDomain) domain(f *cmdutil.Factory, args []string) (dns.Domain, error) {
	switch {
	case len(args) == 0 && l.value == "":
		return dns.Domain{}, cmdutil.FlagErrorf("give the domain the key signs for as the DOMAIN argument")
	case len(args) == 0:
		return f.Domain("--domain", l.value)
	}
	d, err := f.Domain("DOMAIN", args[0])
	if err != nil || l.value == "" {
		return d, err
	}
	old, _, oerr := dns.ParseDomain(l.value)
	if oerr != nil || old.ASCII != d.ASCII {
		return dns.Domain{}, cmdutil.FlagErrorf("DOMAIN %q and --domain %q differ: give the domain once, as the DOMAIN argument", args[0], l.value)
	}
	return d, nil
}
