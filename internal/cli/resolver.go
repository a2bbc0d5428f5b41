package cli

import (
	"errors"
	"io/fs"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// newResolver builds the run's resolver from the global options: the zone
// files (answering for their apexes), the live resolvers for everything else
// unless --offline, and one cache over both for the whole run.
func newResolver(f *cmdutil.Factory) (dns.Resolver, error) {
	g := f.Global
	var zone *dns.Zone
	if len(g.Zones) > 0 {
		z, err := dns.LoadZoneFiles(g.Zones...)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, cmdutil.BadInputHint("", err, "--zone takes the path of a BIND-format zone file")
			}
			return nil, cmdutil.BadInputHint("", err, "fix the zone file; 'named-checkzone' or 'ldns-read-zone' show the same line")
		}
		zone = z
		f.IO.Verbosef(1, "zones: %v authoritative for %v", z.Files(), z.Apexes())
	}
	var next dns.Resolver
	if !g.Offline {
		servers, err := servers(g.Resolvers)
		if err != nil {
			return nil, err
		}
		retries := g.Retries
		if retries == 0 {
			retries = -1 // ClientConfig: 0 means the default, negative means none
		}
		cfg := dns.ClientConfig{Servers: servers, Timeout: g.Timeout, Retries: retries, TCP: g.TCP, MaxInFlight: g.MaxInFlight}
		if f.IO.Verbosity >= 2 {
			cfg.Trace = func(line string) { f.IO.Verbosef(2, "dns: %s", line) }
		}
		c, err := dns.NewClient(cfg)
		if err != nil {
			return nil, cmdutil.BadInput("--resolver", err)
		}
		f.IO.Verbosef(1, "resolvers: %v", c.Servers())
		next = c
	}
	var r dns.Resolver = next
	if zone != nil {
		r = dns.NewChain(zone, next)
	}
	return dns.NewCacheWith(r, dns.CacheOptions{MaxBytes: g.CacheBytes}), nil
}

// servers returns the resolvers to ask: --resolver, else /etc/resolv.conf.
func servers(flags []string) ([]string, error) {
	if len(flags) == 0 {
		s, err := dns.SystemServers("")
		if err != nil {
			return nil, cmdutil.BadInputHint("", err, "name a resolver with --resolver (for example --resolver 192.0.2.53), or use --offline with --zone files")
		}
		return s, nil
	}
	out := make([]string, 0, len(flags))
	for _, s := range flags {
		addr, err := dns.ParseServer(s)
		if err != nil {
			return nil, cmdutil.BadInput("--resolver", err)
		}
		out = append(out, addr)
	}
	return out, nil
}
