package dns

import "context"

// Chain asks zone files first and another resolver (the network) for the
// rest. Names the zone is authoritative for (see Zone.Authoritative) are
// answered by the zone, NXDOMAIN and NODATA included; every other name goes
// to the next resolver. A CNAME in the zone whose target lies outside every
// apex is followed through the next resolver: the answer carries the whole
// CNAME chain, and the records, RCODE, AD bit and source of the
// continuation.
//
// Without a next resolver (offline), the zone answers every name, and names
// outside it do not exist.
type Chain struct {
	zone *Zone
	next Resolver
}

// NewChain returns a resolver that asks z first and next for the names z is
// not authoritative for. next may be nil: z then answers everything. The
// result is a *Chain.
func NewChain(z *Zone, next Resolver) Resolver {
	if z == nil {
		z = &Zone{}
	}
	return &Chain{zone: z, next: next}
}

// Zone returns the zone the chain asks first.
func (c *Chain) Zone() *Zone { return c.zone }

// Query implements Resolver.
func (c *Chain) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if c.next == nil {
		return c.zone.Query(ctx, name, qtype)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckQueryName(name); err != nil {
		return nil, err
	}
	n := CanonicalName(name)
	if !c.zone.Authoritative(n) {
		return c.next.Query(ctx, name, qtype)
	}
	c.zone.answers.Add(1)
	a, out, err := c.zone.resolve(n, qtype, func(target string) bool { return !c.zone.Authoritative(target) })
	if err != nil || out == "" {
		return a, err
	}
	b, err := c.next.Query(ctx, out, qtype)
	if b == nil {
		return nil, err
	}
	merged := *a
	merged.CNAMEs = append(append([]string(nil), a.CNAMEs...), b.CNAMEs...)
	if len(a.CNAMEAndOtherData)+len(b.CNAMEAndOtherData) > 0 {
		merged.CNAMEAndOtherData = append(append([]string(nil), a.CNAMEAndOtherData...), b.CNAMEAndOtherData...)
	}
	merged.Records = b.Records
	if merged.Records == nil {
		merged.Records = []Record{}
	}
	merged.RCode = b.RCode
	merged.Authenticated = b.Authenticated
	merged.Source = b.Source
	// The chain as a whole must not loop nor exceed MaxCNAMEs, whichever
	// part of it is in the zone.
	if err == nil || IsCNAMEChainError(err) {
		for i := len(a.CNAMEs); i < len(merged.CNAMEs); i++ {
			t := merged.CNAMEs[i]
			loop := t == n || zoneContains(merged.CNAMEs[:i], t)
			if !loop && i+1 <= MaxCNAMEs {
				continue
			}
			merged.CNAMEs = merged.CNAMEs[:i+1]
			merged.RCode, merged.Records = RcodeServFail, []Record{}
			if loop {
				return &merged, cnameLoopError(n, qtype, b.Source, merged.CNAMEs)
			}
			return &merged, cnameLongError(n, qtype, b.Source)
		}
	}
	return &merged, err
}

// Stats adds the zone's counters to the next resolver's.
func (c *Chain) Stats() Stats {
	s := c.zone.Stats()
	if r, ok := c.next.(StatsReporter); ok {
		s = s.Add(r.Stats())
	}
	return s
}
