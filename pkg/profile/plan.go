package profile

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/mtasts"
	"github.com/penguinmails/emailauth/pkg/spf"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

// Action says what to do with a record.
type Action string

// The actions of a Change.
const (
	// ActionKeep: what is published already meets the requirements.
	ActionKeep Action = "keep"
	// ActionAdd: publish the record (nothing conflicting is there).
	ActionAdd Action = "add"
	// ActionReplace: publish the record in place of Current.
	ActionReplace Action = "replace"
	// ActionManual: the record cannot be produced here; Note says why
	// and what to do.
	ActionManual Action = "manual"
)

// Change is one record of a plan.
type Change struct {
	// Requirements are the requirements the record meets.
	Requirements []string `json:"requirements"`
	// Name is the owner name (absolute, no trailing dot); Type the record
	// type (TXT, CNAME, MX).
	Name   string `json:"name"`
	Type   string `json:"type"`
	Action Action `json:"action"`
	// Value is the record to publish (a TXT record's text, unsplit; a
	// CNAME's or MX's data), or the record kept.
	Value string `json:"value,omitempty"`
	// Current are the records of the kind at Name that Value replaces.
	Current []string `json:"current,omitempty"`
	// Proposed is, for a manual change, the record that was computed but
	// not emitted (an SPF merge over the lookup limit).
	Proposed string `json:"proposed,omitempty"`
	// Note explains the change, or for a manual one what to do.
	Note string `json:"note,omitempty"`
	TTL  int    `json:"ttl"`
	// Unknown is true for a manual change made because a DNS lookup
	// failed: running again may produce the record.
	Unknown bool `json:"unknown,omitempty"`
	// Advisory is true when no requirement the record meets is critical:
	// a manual advisory change (a BIMI record, which needs a logo) does
	// not make the plan incomplete.
	Advisory bool `json:"advisory,omitempty"`
}

// Strings returns a TXT value split into character-strings of at most 255
// octets (for a DNS provider's form or a zone file); other types as one.
func (c Change) Strings() []string {
	if c.Type != "TXT" {
		return []string{c.Value}
	}
	if strings.HasPrefix(c.Value, "v=spf1") {
		return spf.SplitStrings(c.Value)
	}
	return dkimkey.SplitTXT(c.Value, dkimkey.MaxTXTString)
}

// ZoneLine returns the change's record as a BIND zone-file line ("" for a
// manual change).
func (c Change) ZoneLine() string {
	if c.Action == ActionManual || c.Value == "" {
		return ""
	}
	switch c.Type {
	case "TXT":
		q := make([]string, 0, 2)
		for _, s := range c.Strings() {
			q = append(q, dkimkey.QuoteTXT(s))
		}
		return fmt.Sprintf("%s. %d IN TXT %s", c.Name, c.TTL, strings.Join(q, " "))
	default:
		return fmt.Sprintf("%s. %d IN %s %s", c.Name, c.TTL, c.Type, c.Value)
	}
}

// Fix is the text a finding's fix gives for this change: the zone line to
// publish (and what it replaces), or what to do.
func (c Change) Fix() string {
	switch c.Action {
	case ActionAdd:
		return "publish: " + c.ZoneLine()
	case ActionReplace:
		return fmt.Sprintf("publish: %s (in place of %s)", c.ZoneLine(), quoteList(c.Current))
	case ActionManual:
		return c.Note
	}
	return ""
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " and ")
}

// Key is a DKIM key generated (or reused) for a selector.
type Key struct {
	Selector string `json:"selector"`
	// File is where the private key is (0600); the key itself is never
	// in the plan.
	File   string `json:"file"`
	Reused bool   `json:"reused"`
	Type   string `json:"type"`
	Bits   int    `json:"bits"`
}

// Plan is the complete set of records a domain must publish, merged with
// what it publishes already.
type Plan struct {
	Domain  string `json:"domain"`
	Unicode string `json:"unicode,omitempty"`
	// Zone is the apex of the zone holding the domain (the domain when it
	// could not be found): the DNS provider's form takes names relative
	// to it.
	Zone    string   `json:"zone"`
	Profile string   `json:"profile"`
	Tenant  string   `json:"tenant,omitempty"`
	Changes []Change `json:"records"`
	// Platform are the records the platform publishes for this tenant (the
	// authorization of its DMARC report addresses).
	Platform []Change `json:"platform_records,omitempty"`
	Keys     []Key    `json:"keys,omitempty"`
	// Incomplete is true when a DNS lookup failed: some changes are manual
	// for that reason.
	Incomplete bool `json:"incomplete"`
}

// Blocked reports whether a record could not be produced for a reason a
// person must act on (not a DNS failure; not an advisory record).
func (p *Plan) Blocked() bool {
	for _, c := range p.Changes {
		if c.Action == ActionManual && !c.Advisory && !c.Unknown {
			return true
		}
	}
	return false
}

// Complete reports whether every record could be produced (no manual
// change but advisory ones).
func (p *Plan) Complete() bool {
	for _, c := range p.Changes {
		if c.Action == ActionManual && !c.Advisory {
			return false
		}
	}
	return true
}

// Relative returns name relative to the plan's zone ("@" for the apex).
func (p *Plan) Relative(name string) string {
	if name == p.Zone {
		return "@"
	}
	if rel, ok := strings.CutSuffix(name, "."+p.Zone); ok {
		return rel
	}
	return name + "."
}

// PlanOptions tune Plan.
type PlanOptions struct {
	// Now dates the MTA-STS id of a new record (time.Now when nil).
	Now func() time.Time
	// GenerateDKIM, when set, is the directory where keys are made for the
	// selectors that need one (SELECTOR.DOMAIN.pem, mode 0600, never over
	// an existing file: an existing key file is used as it is, unless
	// Force).
	GenerateDKIM string
	Force        bool
	// Rand is the randomness for keys (crypto/rand when nil).
	Rand io.Reader
	// IgnoreWaivers plans as if no waiver held (the fixes of the profile
	// check name what the requirement needs).
	IgnoreWaivers bool
}

// KeyError is a DKIM key that could not be written or read.
type KeyError struct {
	File string
	Err  error
}

func (e *KeyError) Error() string { return fmt.Sprintf("profile: DKIM key %s: %v", e.File, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

// PlanRecords computes the records domain must publish to meet req, through r:
// each record merged with what the domain publishes (one SPF record with
// its own terms kept and the platform's includes added, the DMARC record's
// tags kept and the platform's addresses added), or kept when it already
// meets the requirements. A merge that cannot be published (an SPF record
// over 10 lookups, conflicting records) is a manual change saying what to
// do. The error is non-nil only for a key that could not be written or
// read (a *KeyError).
func PlanRecords(ctx context.Context, r dns.Resolver, req *Requirements, opts PlanOptions) (*Plan, error) {
	s := inspect(ctx, r, req)
	return plan(ctx, r, req, s, opts)
}

func plan(ctx context.Context, r dns.Resolver, req *Requirements, s *state, opts PlanOptions) (*Plan, error) {
	p := &Plan{Domain: req.Domain, Zone: s.zone, Profile: req.Profile, Tenant: req.Tenant, Changes: []Change{}}
	if u := dns.UnicodeName(req.Domain); u != req.Domain {
		p.Unicode = u
	}
	p.Incomplete = len(s.errs) > 0
	waived := func(name string) bool { return !opts.IgnoreWaivers && req.Waived(name) != nil }
	ttl := req.TTL
	add := func(c Change) {
		c.TTL = ttl
		c.Advisory = true
		for _, n := range c.Requirements {
			if req.Level(n) == Critical && !waived(n) {
				c.Advisory = false
			}
		}
		p.Changes = append(p.Changes, c)
	}
	if spfWanted(req) {
		add(planSPF(ctx, r, req, s, waived))
	}
	for _, sel := range req.DKIM.Selectors {
		c, key, err := planDKIM(req, s, sel, opts)
		if err != nil {
			return nil, err
		}
		if key != nil {
			p.Keys = append(p.Keys, *key)
		}
		if c.Name != "" {
			add(c)
		}
	}
	if dmarcWanted(req) {
		c, platform := planDMARC(req, s, waived)
		add(c)
		for _, pc := range platform {
			pc.TTL = ttl
			p.Platform = append(p.Platform, pc)
		}
	}
	if len(req.MX) > 0 && req.Enabled("mx") && !waived("mx") {
		for _, c := range planMX(req, s) {
			add(c)
		}
	}
	if req.Enabled("mta-sts") && !waived("mta-sts") {
		add(planMTASTS(req, s, opts))
	}
	if req.Enabled("tls-rpt") && !waived("tls-rpt") {
		add(planTLSRPT(req, s))
	}
	if req.Enabled("bimi") && !waived("bimi") {
		add(planBIMI(req, s))
	}
	return p, nil
}

// planSPF merges the platform's includes and "all" into the domain's one
// SPF record, or composes one.
func planSPF(ctx context.Context, r dns.Resolver, req *Requirements, s *state, waived func(string) bool) Change {
	d := req.Domain
	c := Change{Requirements: []string{"spf-record", "spf-include", "spf-all"}, Name: d, Type: "TXT"}
	fr := s.spfFetch
	switch {
	case fr == nil || fr.Code == spf.TempError:
		c.Action, c.Unknown = ActionManual, true
		c.Note = fmt.Sprintf("the SPF record of %s could not be read (%v); run again when the name servers answer", d, fr.Err)
		return c
	case len(fr.Records) > 1:
		c.Action, c.Current = ActionManual, fr.Records
		c.Note = fmt.Sprintf("%s has %d SPF records (%s), a permerror for every receiver: merge them into one by hand, then run again; emailauth never publishes a second one", d, len(fr.Records), quoteList(fr.Records))
		return c
	case fr.Code == spf.PermError && len(fr.Records) == 1:
		c.Action, c.Current = ActionManual, fr.Records
		c.Note = fmt.Sprintf("the SPF record of %s does not parse (%v): correct it, then run again", d, strings.TrimPrefix(fr.Err.Error(), "spf: "))
		return c
	}
	base := "v=spf1"
	if len(fr.Records) == 1 {
		base = fr.Records[0]
		c.Current = fr.Records
	}
	var includes []string
	if !waived("spf-include") {
		for _, inc := range req.SPF.Include {
			if s.spf == nil || !s.spf.Includes(inc) || len(fr.Records) == 0 {
				includes = append(includes, inc)
			}
		}
	}
	all := ""
	if !waived("spf-all") && (req.Enabled("spf-all") || len(fr.Records) == 0) {
		all = wantAll(req, fr.Record, len(fr.Records) == 0)
	}
	m, err := spf.MergeRecord(base, spf.MergeOptions{Includes: includes, All: all})
	if err != nil {
		c.Action = ActionManual
		c.Note = fmt.Sprintf("the SPF record of %s cannot be merged: %v", d, strings.TrimPrefix(err.Error(), "spf: "))
		return c
	}
	if len(fr.Records) == 1 && !m.Changed() {
		c.Action, c.Value, c.Current = ActionKeep, fr.Records[0], nil
		if s.spf != nil {
			c.Note = fmt.Sprintf("already meets the requirements (%d DNS lookups of 10)", s.spf.Lookups)
		}
		return c
	}
	a, err := spf.AnalyzeRecord(ctx, r, d, m.Record, spf.AnalyzeOptions{})
	switch {
	case err != nil:
		c.Action, c.Proposed = ActionManual, m.Record
		c.Note = fmt.Sprintf("the merged SPF record could not be analysed: %v", err)
		return c
	case a.Incomplete:
		c.Action, c.Proposed, c.Unknown = ActionManual, m.Record, true
		c.Note = fmt.Sprintf("the cost of the merged SPF record is unknown: a DNS lookup failed (%s); run again when the names answer", firstDNSError(a))
		return c
	case a.Lookups > spf.MaxLookups:
		c.Action, c.Proposed = ActionManual, m.Record
		own := spf.CostsExcept(a.Costs, req.SPF.Protected)
		var flat []string
		for _, x := range own {
			if strings.HasPrefix(strings.TrimLeft(x.Term, "+"), "include:") {
				flat = append(flat, "--flatten "+strings.TrimLeft(x.Term, "+"))
			}
		}
		advice := "replace a and mx with ip4:/ip6: terms for your senders, or drop includes you no longer use"
		if len(flat) > 0 {
			advice += ", or flatten your own includes (emailauth spf flatten " + d + " " + strings.Join(flat, " ") + ")"
		}
		platform := spf.CostSummary(platformCosts(a.Costs, req.SPF.Protected), 4)
		c.Note = fmt.Sprintf("not emitted: merging the platform's includes into the SPF record of %s needs %d DNS lookups, over the limit of %d (receivers would return permerror). The platform's terms, which stay: %s. Your own terms: %s. Cut %s: %s; then run emailauth records again",
			d, a.Lookups, spf.MaxLookups, orNothing(platform), orNothing(spf.CostSummary(own, 6)), plural(a.Lookups-spf.MaxLookups, "lookup", "lookups"), advice)
		return c
	}
	var what []string
	for _, inc := range m.Added {
		what = append(what, "adds "+inc)
	}
	for _, q := range m.Qualified {
		what = append(what, fmt.Sprintf("makes %q pass", q))
	}
	if m.AllFrom == "none" {
		what = append(what, "ends with "+m.AllTo)
	} else if m.AllFrom != "" {
		what = append(what, fmt.Sprintf("replaces %s with %s", m.AllFrom, m.AllTo))
	}
	c.Value = m.Record
	if len(fr.Records) == 0 {
		c.Action = ActionAdd
		c.Note = fmt.Sprintf("new SPF record (%d DNS lookups of 10); add your own senders (mx, ip4:...) before the all", a.Lookups)
	} else {
		c.Action = ActionReplace
		c.Note = fmt.Sprintf("your record, merged: %s (%d DNS lookups of 10); replace the published one, never add a second", strings.Join(what, ", "), a.Lookups)
	}
	return c
}

func orNothing(s string) string {
	if s == "" {
		return "none cost a lookup"
	}
	return s
}

func platformCosts(costs []spf.TermCost, protected []string) []spf.TermCost {
	var out []spf.TermCost
	for _, c := range costs {
		if spf.IsProtected(c.Term, protected) {
			out = append(out, c)
		}
	}
	return out
}

func firstDNSError(a *spf.Analysis) string {
	for _, f := range a.Findings {
		if f.Transient {
			return f.Message
		}
	}
	return "unknown"
}

// wantAll returns the "all" a record must end with ("" to leave it).
func wantAll(req *Requirements, rec *spf.Record, fresh bool) string {
	if fresh {
		return req.SPF.Generate
	}
	if rec == nil {
		return ""
	}
	all := rec.All()
	switch {
	case all == nil && rec.Redirect != nil:
		return "" // the redirect target decides
	case all == nil, all.Qualifier == spf.QNeutral, all.Qualifier == spf.QPass:
		return req.SPF.Generate
	case all.Qualifier == spf.QFail && req.SPF.All == "~all":
		return "~all"
	}
	return ""
}

// usableKey reports whether the selector publishes one key that parses,
// is not revoked, and is large enough.
func usableKey(req *Requirements, res *dkimkey.SelectorResult) bool {
	if len(res.Records) != 1 || res.Record == nil || res.Revoked || res.Record.PublicKey == nil {
		return false
	}
	return res.KeyType != dkimkey.KeyTypeRSA || res.KeyBits >= req.DKIM.MinBits
}

func planDKIM(req *Requirements, s *state, sel SelectorRequirement, opts PlanOptions) (Change, *Key, error) {
	d := req.Domain
	res := s.selectors[sel.Selector]
	name := dkimkey.RecordName(sel.Selector, d)
	c := Change{Requirements: []string{"dkim-selector"}, Name: name, Type: "TXT"}
	if res == nil {
		return Change{}, nil, nil
	}
	if res.Error != "" {
		c.Action, c.Unknown = ActionManual, true
		c.Note = fmt.Sprintf("the record of selector %s could not be read (%s); run again when the name servers answer", sel.Selector, res.Error)
		return c, nil, nil
	}
	switch {
	case sel.CNAME != "":
		c.Type, c.Requirements = "CNAME", []string{"dkim-cname", "dkim-selector"}
		c.Value = sel.CNAME + "."
		switch {
		case len(res.CNAMEs) > 0 && res.CNAMEs[0] == sel.CNAME:
			c.Action, c.Note = ActionKeep, "delegated to the platform, which publishes and rotates the key"
		case len(res.CNAMEs) > 0:
			c.Action, c.Current = ActionReplace, []string{res.CNAMEs[0] + "."}
			c.Note = fmt.Sprintf("the selector points at %s; the platform hosts the key at %s", res.CNAMEs[0], sel.CNAME)
		case len(res.Records) > 0:
			c.Action, c.Current = ActionReplace, res.Records
			c.Note = fmt.Sprintf("delete the TXT record at %s (a name with a CNAME holds nothing else): the platform hosts the key", name)
		default:
			c.Action, c.Note = ActionAdd, "the platform hosts the key and rotates it; the alias delegates the selector to it"
		}
		return c, nil, nil
	case sel.Key != nil:
		c.Requirements = []string{"dkim-key", "dkim-selector", "dkim-key-size"}
		c.Value = sel.Record
		switch {
		case res.KeyMatches != nil && *res.KeyMatches && len(res.Records) == 1 && len(res.CNAMEs) == 0:
			c.Action, c.Value = ActionKeep, res.Records[0]
			c.Note = "the key pinned for this selector is published"
		case len(res.CNAMEs) > 0 && res.KeyMatches != nil && *res.KeyMatches:
			c.Action, c.Value, c.Note = ActionKeep, res.Records[0], "the key pinned for this selector is published (through "+strings.Join(res.CNAMEs, ", ")+")"
		case len(res.Records) > 0:
			c.Action, c.Current = ActionReplace, res.Records
			c.Note = fmt.Sprintf("the key pinned for selector %s (from the %s file)", sel.Selector, sel.From)
		default:
			c.Action, c.Note = ActionAdd, fmt.Sprintf("the key pinned for selector %s (from the %s file)", sel.Selector, sel.From)
		}
		return c, nil, nil
	}
	c.Requirements = []string{"dkim-selector", "dkim-key-size"}
	if usableKey(req, res) {
		c.Action, c.Value = ActionKeep, res.Records[0]
		c.Note = fmt.Sprintf("a %s key of %d bits is published", res.KeyType, res.KeyBits)
		return c, nil, nil
	}
	if len(res.Records) > 0 {
		c.Current = res.Records
	}
	if opts.GenerateDKIM == "" {
		c.Action = ActionManual
		why := "no key is published"
		switch {
		case res.Revoked:
			why = "the published key is revoked"
		case len(res.Records) > 1:
			why = fmt.Sprintf("%d records are published", len(res.Records))
		case res.Record != nil && res.KeyType == dkimkey.KeyTypeRSA:
			why = fmt.Sprintf("the published key has %d bits, fewer than %d", res.KeyBits, req.DKIM.MinBits)
		case len(res.Records) == 1:
			why = "the published record is not a usable key"
		}
		prof := "PROFILE"
		if req.ProfileFile != "" {
			prof = req.ProfileFile
		}
		c.Note = fmt.Sprintf("selector %s needs a key (%s): run emailauth records %s --profile %s --generate-dkim DIR to make one (the private key is written to DIR, mode 0600), or pin the platform's public key for this domain in the tenants file", sel.Selector, why, d, prof)
		return c, nil, nil
	}
	pub, reused, err := ensureKey(opts, req, sel.Selector)
	if err != nil {
		return Change{}, nil, err
	}
	rec, err := keyRecord(pub)
	if err != nil {
		return Change{}, nil, &KeyError{File: keyFile(opts.GenerateDKIM, sel.Selector, d), Err: err}
	}
	alg, bits := dkimkey.KeyAlgorithm(pub)
	key := &Key{Selector: sel.Selector, File: keyFile(opts.GenerateDKIM, sel.Selector, d), Reused: reused, Type: alg, Bits: bits}
	c.Value = rec
	if len(res.Records) > 0 {
		c.Action = ActionReplace
	} else {
		c.Action = ActionAdd
	}
	c.Note = fmt.Sprintf("the key in %s (install it in the platform's signer for selector %s)", key.File, sel.Selector)
	return c, key, nil
}

func keyFile(dir, selector, domain string) string {
	return filepath.Join(dir, selector+"."+domain+".pem")
}

// ensureKey returns the public key of the selector's key file in the
// GenerateDKIM directory, generating it when the file does not exist (or
// with Force). reused is true when an existing file was used.
func ensureKey(opts PlanOptions, req *Requirements, selector string) (crypto.PublicKey, bool, error) {
	path := keyFile(opts.GenerateDKIM, selector, req.Domain)
	if !opts.Force {
		data, err := readKey(path)
		switch {
		case err == nil:
			k, err := dkimkey.ParsePrivateKey(data)
			if err != nil {
				return nil, false, &KeyError{File: path, Err: fmt.Errorf("the file exists and is not a usable key (%v); move it away, or replace it with Force", strings.TrimPrefix(err.Error(), "dkimkey: "))}
			}
			return k.Public(), true, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, false, &KeyError{File: path, Err: err}
		}
	}
	if err := os.MkdirAll(opts.GenerateDKIM, 0o700); err != nil {
		return nil, false, &KeyError{File: path, Err: err}
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = cryptoRand
	}
	key, err := dkimkey.GenerateKey(rnd, req.DKIM.KeyType, req.DKIM.GeneratedBits())
	if err != nil {
		return nil, false, &KeyError{File: path, Err: err}
	}
	pemData, err := dkimkey.MarshalPrivateKey(key)
	if err != nil {
		return nil, false, &KeyError{File: path, Err: err}
	}
	if err := dkimkey.WritePrivateKeyFile(path, pemData, opts.Force); err != nil {
		return nil, false, &KeyError{File: path, Err: err}
	}
	return key.Public(), false, nil
}

var cryptoRand = rand.Reader

// readKey reads a private key file, bounded.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("larger than %d bytes: not a key file", maxKeyFile)
	}
	return data, nil
}

// planDMARC edits the domain's DMARC record, or builds one. It returns the
// change and the records the platform publishes (report authorizations).
func planDMARC(req *Requirements, s *state, waived func(string) bool) (Change, []Change) {
	d := req.Domain
	name := "_dmarc." + d
	c := Change{Requirements: []string{"dmarc-record"}, Name: name, Type: "TXT"}
	for _, n := range dmarcRequirements[1:] {
		if req.Enabled(n) {
			c.Requirements = append(c.Requirements, n)
		}
	}
	want := req.DMARC
	if s.dmarcErr != nil || s.dmarc == nil || s.unknown("dmarc-record") {
		c.Action, c.Unknown = ActionManual, true
		c.Note = fmt.Sprintf("the DMARC record of %s could not be read; run again when the name servers answer", d)
		return c, nil
	}
	var platform []Change
	authorize := func(uris []string) {
		for _, raw := range uris {
			u, err := dmarc.ParseURI(raw)
			if err != nil || u.Domain == "" {
				continue
			}
			o1, o2 := dmarc.OrgDomain7489(d), dmarc.OrgDomain7489(u.Domain)
			if o1 == "" {
				o1 = d
			}
			if o2 == "" {
				o2 = u.Domain
			}
			if o1 == o2 {
				continue
			}
			an := dmarc.AuthorizationName(d, u.Domain)
			dup := false
			for _, pc := range platform {
				dup = dup || pc.Name == an
			}
			if !dup {
				platform = append(platform, Change{Requirements: []string{"dmarc-rua"}, Name: an, Type: "TXT", Action: ActionAdd, Value: "v=DMARC1",
					Note: fmt.Sprintf("published by %s (or a wildcard *._report._dmarc.%s): it accepts reports about %s (RFC 9990 §3)", u.Domain, u.Domain, d)})
			}
		}
	}
	switch len(s.dmarcOwn) {
	case 0:
		// An inherited policy that meets everything needs no record here.
		if s.dmarc.Record != nil && !dmarcUnmet(req, s, waived) {
			c.Action, c.Value = ActionKeep, s.dmarc.Record.Raw
			c.Note = fmt.Sprintf("the record of %s applies (no record at %s) and meets the requirements", s.dmarc.RecordDomain, name)
			return c, nil
		}
		pol := want.Policy
		if pol == "" || waived("dmarc-policy") {
			pol = dmarc.PolicyNone
		}
		opts := dmarc.BuildOptions{Domain: d, Policy: string(pol), RUA: want.RUA, RUF: append(append([]string(nil), want.RUF...), want.GenerateRUF...), FO: want.FO}
		if opts.FO == "" {
			opts.FO = want.GenerateFO
		}
		if sp := want.SubdomainPolicy; sp != "" && sp.Strength() > pol.Strength() && !waived("dmarc-subdomain-policy") {
			opts.SubdomainPolicy = string(sp)
		}
		if want.ADKIMStrict {
			opts.ADKIM = "s"
		}
		if want.ASPFStrict {
			opts.ASPF = "s"
		}
		opts.RUF = dedupeFold(opts.RUF)
		b, err := dmarc.Build(opts)
		if err != nil {
			c.Action, c.Note = ActionManual, fmt.Sprintf("the DMARC record cannot be built: %v", err)
			return c, nil
		}
		c.Action, c.Value = ActionAdd, b.Record
		c.Note = "new DMARC record"
		if s.dmarc.Record != nil {
			c.Note = fmt.Sprintf("new DMARC record: the record of %s applies today (%q) and does not meet the requirements", s.dmarc.RecordDomain, s.dmarc.Record.Raw)
		}
		authorize(opts.RUA)
		authorize(opts.RUF)
		return c, platform
	case 1:
	default:
		c.Action, c.Current = ActionManual, s.dmarcOwn
		c.Note = fmt.Sprintf("%s has %d DMARC records (%s): receivers ignore them all; keep one, then run again", name, len(s.dmarcOwn), quoteList(s.dmarcOwn))
		return c, nil
	}
	rec := s.dmarcRec
	c.Current = s.dmarcOwn
	set := map[string]string{}
	var what []string
	p, _ := rec.EffectiveP()
	if want.Policy != "" && p.Strength() < want.Policy.Strength() && !waived("dmarc-policy") {
		set["p"] = string(want.Policy)
		what = append(what, fmt.Sprintf("p=%s (was %s)", want.Policy, orNone(p)))
		p = want.Policy
	}
	if sp := want.SubdomainPolicy; sp != "" && !waived("dmarc-subdomain-policy") {
		cur := rec.SP
		if cur == "" {
			cur = p
		}
		if cur.Strength() < sp.Strength() {
			set["sp"] = string(sp)
			what = append(what, "sp="+string(sp))
		}
	}
	if len(want.RUA) > 0 && !waived("dmarc-rua") {
		if list, added := addURIs(rec, "rua", rec.RUA, want.RUA); len(added) > 0 {
			set["rua"] = list
			what = append(what, "the platform's rua "+strings.Join(added, ","))
		}
	}
	if len(want.RUF) > 0 && !waived("dmarc-ruf") {
		if list, added := addURIs(rec, "ruf", rec.RUF, want.RUF); len(added) > 0 {
			set["ruf"] = list
			what = append(what, "ruf "+strings.Join(added, ","))
		}
	}
	if want.FO != "" && !waived("dmarc-fo") {
		if fo, changed := unionFO(rec.FO, want.FO); changed {
			set["fo"] = fo
			what = append(what, "fo="+fo)
		}
	}
	if !want.AllowTesting && !waived("dmarc-testing") {
		if rec.PCT != nil && *rec.PCT < 100 {
			set["pct"] = ""
			what = append(what, "no pct (was "+fmt.Sprint(*rec.PCT)+")")
		}
		if rec.Testing {
			set["t"] = ""
			what = append(what, "no t=y")
		}
	}
	if !waived("dmarc-alignment") {
		if want.ADKIMStrict && rec.ADKIM != "s" {
			set["adkim"] = "s"
			what = append(what, "adkim=s")
		}
		if want.ASPFStrict && rec.ASPF != "s" {
			set["aspf"] = "s"
			what = append(what, "aspf=s")
		}
	}
	authorize(want.RUA)
	authorize(want.RUF)
	if len(set) == 0 {
		c.Action, c.Value, c.Current = ActionKeep, rec.Raw, nil
		c.Note = "already meets the requirements"
		return c, platform
	}
	c.Action, c.Value = ActionReplace, dmarc.Edit(rec, set)
	c.Note = "your record, with its own tags and rua kept: " + strings.Join(what, ", ")
	return c, platform
}

// addURIs returns the record's tag (rua or ruf) as written, with the
// destinations of add it lacks appended: what the domain wrote is kept
// whole, even a destination that does not parse.
func addURIs(rec *dmarc.Record, tag string, have []dmarc.URI, add []string) (string, []string) {
	_, added := dmarc.AddURIs(have, add)
	if len(added) == 0 {
		return "", nil
	}
	raw := ""
	for _, t := range rec.Tags {
		if t.Name == tag {
			raw = t.Value
			break
		}
	}
	if strings.TrimSpace(raw) == "" {
		return strings.Join(added, ","), added
	}
	return raw + "," + strings.Join(added, ","), added
}

func orNone(p dmarc.Policy) dmarc.Policy {
	if p == "" {
		return "none"
	}
	return p
}

func dedupeFold(in []string) []string {
	var out []string
	for _, s := range in {
		dup := false
		for _, o := range out {
			dup = dup || strings.EqualFold(o, s)
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// unionFO returns the fo options of have and want together, and whether
// want added any ("0" is dropped when others are set).
func unionFO(have []string, want string) (string, bool) {
	set := map[string]bool{}
	for _, o := range have {
		set[o] = true
	}
	changed := false
	for _, o := range strings.Split(want, ":") {
		if !set[o] {
			set[o] = true
			changed = true
		}
	}
	if len(set) > 1 {
		delete(set, "0")
	}
	var out []string
	for _, o := range []string{"0", "1", "d", "s"} {
		if set[o] {
			out = append(out, o)
		}
	}
	return strings.Join(out, ":"), changed
}

// dmarcUnmet reports whether a DMARC requirement is not met by the policy
// in force.
func dmarcUnmet(req *Requirements, s *state, waived func(string) bool) bool {
	for _, rr := range checkDMARC(req, s) {
		if !rr.Met && !rr.Unknown && !waived(rr.Requirement) {
			return true
		}
	}
	return false
}

func planMX(req *Requirements, s *state) []Change {
	d := req.Domain
	var out []Change
	have := map[string]bool{}
	if s.mx != nil {
		for _, h := range s.mx.Hosts {
			have[h] = true
		}
	}
	if s.mx == nil || s.mx.Err != nil {
		return []Change{{Requirements: []string{"mx"}, Name: d, Type: "MX", Action: ActionManual, Unknown: true, Note: fmt.Sprintf("the MX records of %s could not be read; run again when the name servers answer", d)}}
	}
	hosts := append([]MXHost(nil), req.MX...)
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Preference < hosts[j].Preference })
	for _, h := range hosts {
		c := Change{Requirements: []string{"mx"}, Name: d, Type: "MX", Value: fmt.Sprintf("%d %s.", h.Preference, h.Host)}
		switch {
		case have[h.Host]:
			c.Action, c.Note = ActionKeep, "listed"
		case s.mx.Null:
			c.Action, c.Current, c.Note = ActionReplace, []string{"0 ."}, "the domain publishes a null MX (it receives no mail); the platform receives for it"
		default:
			c.Action, c.Note = ActionAdd, "the platform receives mail for its tenants"
		}
		out = append(out, c)
	}
	return out
}

func planMTASTS(req *Requirements, s *state, opts PlanOptions) Change {
	d := req.Domain
	c := Change{Requirements: []string{"mta-sts"}, Name: "_mta-sts." + d, Type: "TXT"}
	if s.mtastsErr != nil {
		c.Action, c.Unknown, c.Note = ActionManual, true, "the _mta-sts record could not be read; run again when the name servers answer"
		return c
	}
	if len(s.mtasts) == 1 {
		if _, err := mtasts.ParseRecord(s.mtasts[0]); err == nil {
			c.Action, c.Value, c.Note = ActionKeep, s.mtasts[0], "published; change its id whenever the policy changes"
			return c
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	c.Value = "v=STSv1; id=" + now().UTC().Format("20060102150405")
	c.Action, c.Current = ActionAdd, s.mtasts
	if len(s.mtasts) > 0 {
		c.Action = ActionReplace
	}
	c.Note = fmt.Sprintf("new MTA-STS record; also serve the policy at %s (start with mode: testing), with an A/AAAA or CNAME record for mta-sts.%s", mtasts.PolicyURL(d), d)
	if c.Action == ActionReplace {
		c.Note = "one valid MTA-STS record replaces the published ones (not valid, or several); " + strings.TrimPrefix(c.Note, "new MTA-STS record; ")
	}
	return c
}

func planTLSRPT(req *Requirements, s *state) Change {
	d := req.Domain
	c := Change{Requirements: []string{"tls-rpt"}, Name: "_smtp._tls." + d, Type: "TXT"}
	if s.tlsErr != nil {
		c.Action, c.Unknown, c.Note = ActionManual, true, "the _smtp._tls record could not be read; run again when the name servers answer"
		return c
	}
	if len(s.tlsrpt) == 1 {
		if rec, err := tlsrpt.ParseRecord(s.tlsrpt[0]); err == nil {
			missing := missingFold(rec.RUA, req.TLSRPT)
			if len(missing) == 0 {
				c.Action, c.Value, c.Note = ActionKeep, s.tlsrpt[0], "published"
				return c
			}
			c.Action, c.Current = ActionReplace, s.tlsrpt
			c.Value = "v=TLSRPTv1; rua=" + strings.Join(append(append([]string(nil), rec.RUA...), missing...), ",")
			c.Note = "your record, with the platform's address added"
			return c
		}
	}
	if len(req.TLSRPT) == 0 {
		c.Action, c.Current = ActionManual, s.tlsrpt
		c.Note = fmt.Sprintf("publish a TLS-RPT record naming where reports go: %s TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"", c.Name, d)
		return c
	}
	c.Value = "v=TLSRPTv1; rua=" + strings.Join(req.TLSRPT, ",")
	c.Action, c.Current, c.Note = ActionAdd, s.tlsrpt, "new TLS-RPT record, with the platform's report addresses"
	if len(s.tlsrpt) > 0 {
		c.Action = ActionReplace
		c.Note = "the published record is not valid TLS-RPT (or there are several); one record with the platform's report addresses replaces it"
	}
	return c
}

func missingFold(have, want []string) []string {
	var out []string
	for _, w := range want {
		if !containsFold(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func planBIMI(req *Requirements, s *state) Change {
	d := req.Domain
	c := Change{Requirements: []string{"bimi"}, Name: req.BIMISelector + "._bimi." + d, Type: "TXT"}
	if len(s.bimi) == 1 {
		c.Action, c.Value, c.Note = ActionKeep, s.bimi[0], "published"
		return c
	}
	c.Action = ActionManual
	c.Note = fmt.Sprintf("once the logo (SVG Tiny PS) and, for most mailbox providers, a mark certificate are ready, publish %s TXT \"v=BIMI1; l=https://...; a=https://...\"", c.Name)
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
