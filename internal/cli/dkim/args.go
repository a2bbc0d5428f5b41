package dkim

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// legacyDomain is the hidden, deprecated --domain flag of keygen and
// record: the domain is positional now (docs/cli.md), and --domain D fills
// the argument when it is absent.
type legacyDomain struct{ value string }

func (l *legacyDomain) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&l.value, "domain", "", "the signing `domain` (d=); give it as the DOMAIN argument instead")
	_ = fl.MarkDeprecated("domain", "give the domain as the DOMAIN argument instead")
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

// noticesToStderr makes the flag parser write its notices (the deprecation
// notice of an old flag spelling) to stderr, made safe by the ErrTerm.
// Cobra would print them to the command's output, which is stdout: a notice
// there would corrupt a private key written with --out - or a record piped
// to a file.
func noticesToStderr(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.Flags().SetOutput(stderrNotices{f})
}

type stderrNotices struct{ f *cmdutil.Factory }

func (s stderrNotices) Write(p []byte) (int, error) {
	if s.f == nil || s.f.IO == nil {
		return 0, fmt.Errorf("dkim: no streams for a notice")
	}
	return s.f.IO.ErrTerm().Write(p)
}
