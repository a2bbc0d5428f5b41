// Package wait is the "emailauth wait" command: it asks a domain's
// authoritative name servers, round after round, until every one of them
// serves every record a platform profile requires. The asking and judging
// are pkg/profile's (Wait); this package reads the flags and renders.
package wait

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/profile"
	"github.com/penguinmails/emailauth/pkg/report"
)

// Options are the wait command's inputs.
type Options struct {
	Domain   string
	Profile  profileopt.Flags
	MaxWait  time.Duration
	Interval time.Duration
	// Nameservers (--nameserver ADDR) are asked instead of the NS set;
	// NSAddrs (--nameserver NAME=ADDR) give a server's address.
	Nameservers []string
	NSAddrs     map[string][]string
	// Sleep pauses between rounds (a timer when nil): tests give one that
	// moves their clock, so they take no real time.
	Sleep func(ctx context.Context, d time.Duration) error
}

// minInterval keeps wait from hammering name servers.
const minInterval = time.Second

// NewCmdWait returns the wait command. runF, when not nil, replaces the run
// function.
func NewCmdWait(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	var nameservers []string
	cmd := &cobra.Command{
		Use:   "wait DOMAIN --profile FILE",
		Short: "Wait until every authoritative name server serves the records a platform requires",
		Long: `Ask the domain's authoritative name servers directly (not a resolver, not a
cache), round after round, until every one of them serves every record the
platform profile requires (its critical and advisory requirements, waivers
honoured): what a tenant waits for after publishing the records that
"emailauth records" printed. Each round prints, on standard error, what
each server still lacks.

--max-wait bounds the wait (0: look once); --interval is the pause between
rounds (at least 1s). The name servers are the zone's NS set, as the
resolver gives it; --nameserver ADDR asks given servers instead (a DNS
provider's servers before the delegation is switched), and --nameserver
NAME=ADDR gives the address of one server of the NS set.

The wait's own bound is --max-wait, not --timeout: --timeout is, as for
every command, the timeout of one DNS query.

Exit codes: 0 every server serves every record, 1 the wait ended and some
record is still missing on some server (listed, with where), 2 bad input,
3 the name servers could not be reached (and nothing is known missing).`,
		Example: `  # after publishing the records, wait up to 30 minutes
  emailauth wait tenant.example --profile penguinmails.yaml

  # once: does every server serve them now?
  emailauth wait tenant.example --profile penguinmails.yaml --max-wait 0

  # the DNS provider's servers, before the delegation is switched
  emailauth wait tenant.example --profile penguinmails.yaml --nameserver 198.51.100.53 --nameserver 203.0.113.53`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domain = args[0]
			if opts.MaxWait < 0 {
				return cmdutil.FlagErrorf("invalid --max-wait %s: want a duration of 0 or more, such as 30m", opts.MaxWait)
			}
			if opts.Interval < minInterval {
				return cmdutil.FlagErrorf("invalid --interval %s: want at least %s, such as 30s", opts.Interval, minInterval)
			}
			if err := parseNameservers(opts, nameservers); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json")
	fl := cmd.Flags()
	opts.Profile.Add(fl, false)
	fl.DurationVar(&opts.MaxWait, "max-wait", 30*time.Minute, "how long to wait in all (0: look once)")
	fl.DurationVar(&opts.Interval, "interval", 30*time.Second, "pause between rounds (at least 1s)")
	fl.StringArrayVar(&nameservers, "nameserver", nil, "ask this server (`ADDR[:PORT]`) instead of the NS set, or give a server's address (NAME=ADDR[:PORT]); repeatable")
	return cmd
}

// parseNameservers reads --nameserver: an address to ask, or NAME=ADDR.
func parseNameservers(opts *Options, values []string) error {
	for _, v := range values {
		name, addr, named := strings.Cut(v, "=")
		if !named {
			addr = v
		}
		a, err := dns.ParseServer(addr)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --nameserver %q: %v", v, strings.TrimPrefix(err.Error(), "dns: "))
		}
		if !named {
			opts.Nameservers = append(opts.Nameservers, a)
			continue
		}
		n, err := dns.NormalizeName(name)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --nameserver %q: %q is not a host name", v, name)
		}
		if opts.NSAddrs == nil {
			opts.NSAddrs = map[string][]string{}
		}
		opts.NSAddrs[n] = append(opts.NSAddrs[n], a)
	}
	return nil
}

func run(f *cmdutil.Factory, opts *Options) error {
	d, err := f.Domain("DOMAIN", opts.Domain)
	if err != nil {
		return err
	}
	if f.Global.Offline {
		return cmdutil.FlagErrorf("wait asks the domain's name servers over the network; --offline forbids it")
	}
	loaded, err := profileopt.Load(f, opts.Profile)
	if err != nil {
		return err
	}
	if loaded.Profile == nil {
		return cmdutil.FlagErrorf("wait needs a platform profile: give --profile FILE (or profile: in the config file)")
	}
	req, err := loaded.Profile.For(d.ASCII, loaded.Tenants, f.Now())
	if err != nil {
		return cmdutil.BadInput("DOMAIN", err)
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	client := &dns.AuthClient{Timeout: f.Global.Timeout, Retries: f.Global.Retries, TCP: f.Global.TCP}
	if f.IO.Verbosity >= 2 {
		client.Trace = func(line string) { f.IO.Verbosef(2, "dns: %s", line) }
	}
	wopts := profile.WaitOptions{
		Client: client, NS: dns.NSOptions{Addrs: opts.NSAddrs}, Servers: opts.Nameservers,
		Interval: opts.Interval, MaxWait: opts.MaxWait, Now: f.Now, Sleep: opts.Sleep,
		Progress: func(st *profile.WaitStatus) {
			if !f.IO.Quiet {
				f.IO.ErrTerm().Printf("wait: round %d, %s: %s\n", st.Round, st.Elapsed.Round(time.Second), st.Summary())
			}
		},
	}
	st, err := profile.Wait(f.Ctx(), r, req, wopts)
	switch {
	case errors.Is(err, profile.ErrNoRequirement):
		return cmdutil.BadInputHint("--profile", err, "the profile requires no record of this domain (every requirement is off or optional)")
	case err != nil && st == nil:
		return &cmdutil.IncompleteError{Err: fmt.Errorf("wait: %w", err)}
	}
	if rerr := render(f, d, st); rerr != nil {
		return rerr
	}
	switch {
	case err != nil:
		return &cmdutil.IncompleteError{Err: fmt.Errorf("wait: interrupted after %d rounds: %w", st.Round, err)}
	case st.Done:
		return nil
	case st.Missing():
		return cmdutil.ErrFailed
	}
	return cmdutil.ErrIncomplete
}

func render(f *cmdutil.Factory, d dns.Domain, st *profile.WaitStatus) error {
	if f.Global.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, st)
	}
	t := f.IO.Term()
	var rows [][]string
	for _, s := range st.Servers {
		name := s.Name
		if name == "" {
			name = s.Address
		}
		state := s.Status
		switch {
		case s.Status == "ok" && s.Ready:
			state = "ready"
		case s.Status == "ok":
			state = "missing"
		}
		serial := ""
		if s.Serial != 0 {
			serial = fmt.Sprint(s.Serial)
		}
		rows = append(rows, []string{name, s.Address, serial, state, fmt.Sprintf("%d/%d", s.Met, s.Total)})
	}
	if len(rows) > 0 {
		if err := report.Grid(t, []string{"NAME SERVER", "ADDRESS", "SERIAL", "STATE", "REQUIREMENTS"}, rows); err != nil {
			return err
		}
	}
	for _, s := range st.Servers {
		name := s.Name
		if name == "" {
			name = s.Address
		}
		if s.Error != "" {
			t.Printf("%s: %s: %s\n", name, s.Status, s.Error)
		}
		for _, m := range s.Missing {
			t.Printf("%s lacks %s: %s\n", name, requirementLabel(m), m.Message)
			if m.Fix != "" && !f.IO.Quiet {
				t.Printf("  fix: %s\n", m.Fix)
			}
		}
		for _, m := range s.Unknown {
			t.Printf("%s: %s could not be checked: %s\n", name, requirementLabel(m), m.Message)
		}
	}
	wait := fmt.Sprintf("%d %s, %s", st.Round, plural(st.Round, "round", "rounds"), st.Elapsed.Round(time.Second))
	switch {
	case st.Done:
		t.Printf("%s: every name server serves every required record (%s)\n", d.Display(), wait)
	case st.Error != "":
		t.Printf("%s: the name servers could not be found (%s): %s\n", d.Display(), wait, st.Error)
	case st.Missing():
		t.Printf("%s: not every name server serves every required record (%s)\n", d.Display(), wait)
	default:
		t.Printf("%s: some name servers could not be asked (%s)\n", d.Display(), wait)
	}
	return nil
}

func requirementLabel(m profile.RequirementResult) string {
	if m.Subject != "" {
		return m.Requirement + " (" + m.Subject + ")"
	}
	return m.Requirement
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
