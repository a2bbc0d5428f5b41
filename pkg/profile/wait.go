package profile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/authoritative"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// WaitOptions tune Wait.
type WaitOptions struct {
	// Client asks the name servers (a default AuthClient when nil).
	Client *dns.AuthClient
	// NS tunes the lookup of the NS set; Servers, when set, are asked
	// instead of it.
	NS      dns.NSOptions
	Servers []string
	// Interval is the pause between rounds (30s when 0); MaxWait how long
	// to wait in all (0: one round only).
	Interval time.Duration
	MaxWait  time.Duration
	// Now and Sleep are the clock (time.Now and a timer when nil). Tests
	// give a clock that Sleep moves on. The time waited is at least the
	// time slept, whatever Now says (a clock pinned for golden output).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress, when set, is called after each round.
	Progress func(*WaitStatus)
}

// ServerStatus is what one name server serves, in one round.
type ServerStatus struct {
	authoritative.Server
	// Ready is true when the server serves every record required.
	Ready bool `json:"ready"`
	// Met and Total count the requirements it meets (critical and
	// advisory ones, waived ones as met).
	Met   int `json:"met"`
	Total int `json:"total"`
	// Missing are the requirements it does not meet yet; Unknown those a
	// DNS failure left unchecked.
	Missing []RequirementResult `json:"missing"`
	Unknown []RequirementResult `json:"unknown,omitempty"`
}

// WaitStatus is the state of a wait after a round.
type WaitStatus struct {
	Domain  string         `json:"domain"`
	Zone    string         `json:"zone,omitempty"`
	Round   int            `json:"rounds"`
	Elapsed time.Duration  `json:"elapsed_ns"`
	Servers []ServerStatus `json:"servers"`
	// Error says why the name servers could not be found (this round).
	Error string `json:"error,omitempty"`
	// Done: every server serves every record. TimedOut: MaxWait passed
	// first.
	Done     bool `json:"done"`
	TimedOut bool `json:"timed_out"`

	errTemporary bool
}

// Missing reports whether a reachable server lacks a required record (the
// domain's DNS is not there yet), as opposed to servers that could not be
// asked.
func (w *WaitStatus) Missing() bool {
	for _, s := range w.Servers {
		if s.Status == "lame" || s.Status == "no-address" || len(s.Missing) > 0 {
			return true
		}
	}
	return w.Error != "" && !w.errTemporary
}

// Unreachable reports whether something could not be asked: the NS set,
// a server, or a record.
func (w *WaitStatus) Unreachable() bool {
	if w.Error != "" && w.errTemporary {
		return true
	}
	for _, s := range w.Servers {
		if s.Status == "unreachable" || len(s.Unknown) > 0 {
			return true
		}
	}
	return false
}

// ErrNoRequirement is returned by Wait when the requirements name no
// record to wait for.
var ErrNoRequirement = errors.New("profile: the profile requires no record of this domain: nothing to wait for")

// Wait asks each of the domain's name servers directly (no resolver, no
// cache), round after round, until every one of them serves every record
// the requirements need (critical and advisory ones, not waived), or
// MaxWait passes. Each round looks the NS set up through r (a caching
// resolver answers it once per run), which also answers the names outside
// the zone (the platform's includes); what the servers serve is never
// cached from one round to the next. The
// last status is returned; the error is non-nil only when the context ends
// (the status is then the last complete round) or nothing is required.
func Wait(ctx context.Context, r dns.Resolver, req *Requirements, opts WaitOptions) (*WaitStatus, error) {
	if req.countRequired() == 0 {
		return nil, ErrNoRequirement
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepTimer
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	client := opts.Client
	if client == nil {
		client = &dns.AuthClient{}
	}
	start := now()
	// slept is the time spent sleeping: the elapsed time is at least
	// that, even with a clock that stands still.
	var slept time.Duration
	sleepFor := func(d time.Duration) error {
		slept += d
		return sleep(ctx, d)
	}
	var last *WaitStatus
	for round := 1; ; round++ {
		st := waitRound(ctx, r, client, req, opts)
		st.Round = round
		st.Elapsed = max(now().Sub(start), slept)
		if err := ctx.Err(); err != nil {
			if last == nil {
				last = st
			}
			return last, err
		}
		st.Done = len(st.Servers) > 0 && st.Error == ""
		for _, s := range st.Servers {
			st.Done = st.Done && s.Ready
		}
		if !st.Done && st.Elapsed+interval > opts.MaxWait {
			// One more round at the deadline, if there is time left
			// for it; else this was the last.
			if rest := opts.MaxWait - st.Elapsed; rest > 0 {
				if opts.Progress != nil {
					opts.Progress(st)
				}
				if err := sleepFor(rest); err != nil {
					return st, err
				}
				continue
			}
			st.TimedOut = true
		}
		if opts.Progress != nil {
			opts.Progress(st)
		}
		if st.Done || st.TimedOut {
			return st, nil
		}
		last = st
		if err := sleepFor(interval); err != nil {
			return st, err
		}
	}
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// countRequired is how many requirements can block a wait.
func (r *Requirements) countRequired() int {
	n := 0
	for _, q := range requirements {
		if l := r.Level(q.name); l == Critical || l == Advisory {
			n++
		}
	}
	return n
}

// waitRound looks at every server once.
func waitRound(ctx context.Context, r dns.Resolver, client *dns.AuthClient, req *Requirements, opts WaitOptions) *WaitStatus {
	st := &WaitStatus{Domain: req.Domain, Servers: []ServerStatus{}}
	zone, servers, err := authoritative.Discover(ctx, r, req.Domain, opts.NS, opts.Servers)
	st.Zone = zone
	if err != nil {
		st.Error = err.Error()
		st.errTemporary = dns.IsTemporary(err)
		return st
	}
	probed := authoritative.ProbeAll(ctx, client, servers, zone)
	for _, s := range probed {
		ss := ServerStatus{Server: s, Missing: []RequirementResult{}}
		if s.Status == "ok" {
			sr := dns.NewCache(client.ServerResolver(s.Address, zone, r))
			res := Evaluate(ctx, sr, req, EvalOptions{Now: opts.Now})
			for _, rr := range res.Requirements {
				if rr.Level != Critical && rr.Level != Advisory {
					continue
				}
				ss.Total++
				switch {
				case rr.Unknown:
					ss.Unknown = append(ss.Unknown, rr)
				case rr.Met || rr.Waiver != nil:
					ss.Met++
				case rr.folded:
					// Implied by another missing requirement (no DMARC
					// record: no policy either); counted, not listed.
				default:
					ss.Missing = append(ss.Missing, rr)
				}
			}
			ss.Ready = ss.Met == ss.Total
		}
		st.Servers = append(st.Servers, ss)
	}
	return st
}

// Summary says in one line where the wait is: "ns1.example.net ready
// (9/9); ns2.example.net missing dmarc-policy, dmarc-rua (7/9)".
func (w *WaitStatus) Summary() string {
	if w.Error != "" {
		return "the name servers could not be found: " + w.Error
	}
	var parts []string
	for _, s := range w.Servers {
		name := s.Name
		if name == "" {
			name = s.Address
		}
		switch {
		case s.Status != "ok":
			parts = append(parts, fmt.Sprintf("%s %s", name, s.Status))
		case s.Ready:
			parts = append(parts, fmt.Sprintf("%s ready (%d/%d)", name, s.Met, s.Total))
		default:
			var miss []string
			for _, m := range s.Missing {
				miss = appendNew(miss, m.Requirement)
			}
			for _, m := range s.Unknown {
				miss = appendNew(miss, m.Requirement+" (unknown)")
			}
			parts = append(parts, fmt.Sprintf("%s missing %s (%d/%d)", name, strings.Join(miss, ", "), s.Met, s.Total))
		}
	}
	return strings.Join(parts, "; ")
}
