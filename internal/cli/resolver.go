package cli

import (
	"errors"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// newResolver builds the run's resolver from the global options.
func newResolver(f *cmdutil.Factory) (dns.Resolver, error) {
	return nil, errors.New("resolver: not wired yet")
}
