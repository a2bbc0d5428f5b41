// Package cmdutil holds what every emailauth command shares: the Factory of
// injected dependencies, the I/O streams, the error vocabulary and its exit
// codes, and output-format handling. It holds no DNS, parsing or crypto
// logic: that lives under pkg/.
package cmdutil

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Factory carries the dependencies commands use. Tests build a literal
// Factory with fakes.
type Factory struct {
	IO *IOStreams
	// Global holds the merged, validated configuration: flags over
	// EMAILAUTH_* environment over the config file over defaults. It is
	// filled before any command runs; commands read it, never a config
	// library's keys.
	Global *GlobalOptions
	// Now is the clock.
	Now func() time.Time
	// Rand is the source of randomness for key generation.
	Rand io.Reader
	// Getenv reads the environment (GITHUB_STEP_SUMMARY, NO_COLOR, ...).
	Getenv func(string) string
	// Context is the run's context, cancelled on interrupt.
	Context context.Context
	// AuditCommand is the command line audit records keep, secrets
	// redacted (AuditCommandLine); set once the command line is parsed.
	AuditCommand []string
	// AuditClock stamps audit records: the clock as it was before --now
	// pinned Now, so that a record is never back-dated; Now when nil.
	AuditClock func() time.Time

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

// GlobalOptions are the configuration every command sees: the persistent
// flags and the config file's other keys, after merging with the
// environment (docs/configuration.md lists every key).
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
	// DKIMSelectors (dkim.selectors) are the DKIM selectors the platform
	// signs with: they mean exactly what --selector means.
	DKIMSelectors []string
	// MaxInFlight bounds the DNS queries in flight at once (0: the
	// client's default). A command that works on many domains at once sets
	// it from its concurrency before it first asks for the resolver, so
	// that the cap grows with the workers and a slow domain cannot starve
	// the others.
	MaxInFlight int
	// CacheBytes bounds the run's DNS cache (0: dns.DefaultCacheBytes). A
	// command with many domains in flight raises it, so that the answers
	// of the domains being checked are not evicted before their checks
	// read them again.
	CacheBytes int64
	// Profile is the platform profile's file (profile: in the config
	// file, or EMAILAUTH_PROFILE); with ProfileInConfig it is the config
	// file, whose profile: mapping is the profile. Tenants is the tenants
	// file (tenants:). --profile and --tenants override them.
	Profile         string
	ProfileInConfig bool
	Tenants         string
	// AuditLog (--audit-log, audit_log:) is the audit log security-relevant
	// actions are recorded in (Factory.Audit); empty for none.
	AuditLog string
	// Warmup (warmup:) holds the warmup commands' defaults.
	Warmup WarmupOptions
}

// RequireCovered is bad input (exit 2) when the run is offline and no
// --zone file covers the domain a command was asked about: the zone
// resolver would answer "nothing published" for it, an assumption a check
// must not pass or fail on (dns.Answer.NotCovered). Online it does nothing.
func (f *Factory) RequireCovered(input string, d dns.Domain) error {
	if f.Global == nil || !f.Global.Offline {
		return nil
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	if dns.Uncovered(f.Ctx(), r, d.ASCII) {
		return BadInputHint(input, fmt.Errorf("%s: no zone file covers it, and the run is offline: nothing about it can be checked", d.ASCII),
			"give its zone file with --zone, or check it online (without --offline)")
	}
	return nil
}

// Domain reads a DOMAIN argument or list entry as dns.ParseDomain does: a
// URL or an e-mail address is reduced to its domain with a note on stderr;
// anything else that is not a domain name is bad input (exit 2), with a hint.
// input names where the value came from ("DOMAIN", "tenants.txt:12").
func (f *Factory) Domain(input, arg string) (dns.Domain, error) {
	d, note, err := dns.ParseDomain(arg)
	if err != nil {
		return dns.Domain{}, BadInput(input, err)
	}
	if note != "" {
		f.IO.Notef("%s", note)
	}
	return d, nil
}
