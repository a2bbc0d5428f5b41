// Package cmdutil holds what every emailauth command shares: the Factory of
// injected dependencies, the I/O streams, the error vocabulary and its exit
// codes, and output-format handling. It holds no DNS, parsing or crypto
// logic: that lives under pkg/.
package cmdutil

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/spf13/viper"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Factory carries the dependencies commands use. Tests build a literal
// Factory with fakes.
type Factory struct {
	IO *IOStreams
	// Config holds the merged settings: flags, EMAILAUTH_* environment,
	// config file, defaults. It is filled before any command runs.
	Config *viper.Viper
	// Global holds the validated global flags; filled before RunE.
	Global *GlobalOptions
	// Now is the clock.
	Now func() time.Time
	// Rand is the source of randomness for key generation.
	Rand io.Reader
	// Getenv reads the environment (GITHUB_STEP_SUMMARY, NO_COLOR, ...).
	Getenv func(string) string
	// Context is the run's context, cancelled on interrupt.
	Context context.Context

	// NewResolver builds the resolver from the global options. Tests
	// replace it; Resolver memoizes it.
	NewResolver func(*Factory) (dns.Resolver, error)

	once     sync.Once
	resolver dns.Resolver
	resErr   error
}

// Resolver returns the run's resolver, built once from the global options:
// zone files, the live resolvers (unless --offline) and a cache shared by
// everything the command does.
func (f *Factory) Resolver() (dns.Resolver, error) {
	f.once.Do(func() {
		f.resolver, f.resErr = f.NewResolver(f)
	})
	return f.resolver, f.resErr
}

// ResolverBuilt returns the resolver if Resolver has been called, for
// reporting statistics at the end of a run.
func (f *Factory) ResolverBuilt() dns.Resolver {
	return f.resolver
}

// Ctx returns the run's context.
func (f *Factory) Ctx() context.Context {
	if f.Context == nil {
		return context.Background()
	}
	return f.Context
}

// GlobalOptions are the persistent flags every command accepts, after
// merging with the environment and the config file.
type GlobalOptions struct {
	Resolvers []string
	Timeout   time.Duration
	Retries   int
	TCP       bool
	Zones     []string
	Offline   bool
	Output    string
	NoColor   bool
	Verbose   int
	Quiet     bool
	// ConfigFile is the config file that was read, if any.
	ConfigFile string
}
