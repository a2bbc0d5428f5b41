package spf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// FlattenOptions tune Flatten.
type FlattenOptions struct {
	// Flatten names the includes to resolve into networks ("_spf.example.net"
	// or "include:_spf.example.net"); empty means every include.
	Flatten []string
	// MaxLookups is the budget of the flattened records; 0 = 10.
	MaxLookups int
	// MaxRecordLen is the longest record written; 0 = 450 octets, which keeps
	// a TXT answer well inside 512 octets.
	MaxRecordLen int
	// TTL of the zone lines; 0 = 3600.
	TTL uint32
	// Protect names includes that must never be flattened (a sending
	// platform's, whose addresses change without notice): they are kept as
	// they are, and naming one in Flatten is an error.
	Protect []string
}

// FlatRecord is one record to publish.
type FlatRecord struct {
	Name     string   `json:"name"`
	Record   string   `json:"record"`
	Strings  []string `json:"strings"`
	ZoneLine string   `json:"zone_line"`
}

// FlattenSource is one include that was resolved into networks.
type FlattenSource struct {
	Include  string   `json:"include"`
	Networks []string `json:"networks"`
	// TTL is the smallest TTL among the records the include's tree was
	// built from: how soon the provider may change it.
	TTL uint32 `json:"ttl"`
	// Records are the source records, domain by domain.
	Records []SourceRecord `json:"records"`
}

// SourceRecord is a record read while flattening.
type SourceRecord struct {
	Domain string `json:"domain"`
	Record string `json:"record"`
	TTL    uint32 `json:"ttl"`
}

// FlattenResult is a flattened set of records.
type FlattenResult struct {
	Domain   string `json:"domain"`
	Original string `json:"original"`
	// OriginalLookups is the cost of the published record.
	OriginalLookups int          `json:"original_lookups"`
	Records         []FlatRecord `json:"records"`
	// Lookups is the cost of the flattened records.
	Lookups int `json:"lookups"`
	// Flattened lists the includes flattened, as given to FlattenOptions.
	Flattened []string        `json:"flattened"`
	Sources   []FlattenSource `json:"sources"`
	// Kept are the terms kept as they were.
	Kept []string `json:"kept"`
	// MinTTL is the smallest source TTL.
	MinTTL     uint32   `json:"min_ttl"`
	MaxLookups int      `json:"max_lookups"`
	Warnings   []string `json:"warnings"`
}

// ErrFlattenIncomplete wraps DNS failures met while flattening.
var ErrFlattenIncomplete = errors.New("spf: flatten: a DNS lookup failed")

// Flatten resolves the chosen includes of domain's record into ip4/ip6
// terms, merges adjacent networks, and splits the result into records of at
// most MaxRecordLen octets chained with include:_spfN.DOMAIN, staying within
// MaxLookups. The flattened records go stale when a provider changes its
// addresses: keep the output and run CheckFlattened regularly.
func Flatten(ctx context.Context, r dns.Resolver, domain string, opts FlattenOptions) (*FlattenResult, error) {
	if opts.MaxLookups <= 0 {
		opts.MaxLookups = MaxLookups
	}
	if opts.MaxRecordLen <= 0 {
		opts.MaxRecordLen = 450
	}
	if opts.MaxRecordLen < 64 {
		return nil, fmt.Errorf("spf: flatten: a record length of %d octets is too short", opts.MaxRecordLen)
	}
	if opts.TTL == 0 {
		opts.TTL = 3600
	}
	a, err := Analyze(ctx, r, domain, AnalyzeOptions{SkipType99: true, MaxLookups: opts.MaxLookups})
	if err != nil {
		return nil, err
	}
	if a.Incomplete {
		for _, f := range a.Findings {
			if f.Code == FindDNSError.Code {
				return nil, fmt.Errorf("%w: %s", ErrFlattenIncomplete, f.Message)
			}
		}
		return nil, ErrFlattenIncomplete
	}
	if a.Tree.Status != "ok" {
		return nil, fmt.Errorf("spf: flatten: %s: %s", a.Domain, a.Tree.Error)
	}
	rec, err := Parse(a.Record)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range opts.Flatten {
		f = dns.CanonicalName(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(f)), "include:"))
		if IsProtected("include:"+f, opts.Protect) {
			return nil, fmt.Errorf("spf: flatten: include:%s is protected (the platform's include must stay as it is, so that its address changes reach the record)", f)
		}
		want[f] = false
	}
	res := &FlattenResult{Domain: a.Domain, Original: a.Record, OriginalLookups: a.Lookups, MaxLookups: opts.MaxLookups, Kept: []string{}, Warnings: []string{}, Flattened: []string{}}
	var nets []netip.Prefix
	var kept []string
	var final string
	seenAll := false
	for i, t := range rec.Terms {
		tr := a.Tree.Terms[i]
		if seenAll && t.IsMechanism() {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s dropped: it comes after all and was never evaluated", t.Raw))
			continue
		}
		switch {
		case t.Mechanism == MechAll:
			seenAll = true
			if final == "" {
				final = t.Raw
			}
			continue
		case t.Modifier == ModRedirect:
			if rec.All() == nil {
				final = t.Raw
			}
			continue
		case (t.Mechanism == MechIP4 || t.Mechanism == MechIP6) && t.Qualifier == QPass:
			nets = append(nets, t.Prefix)
			continue
		case t.Mechanism == MechInclude && !t.HasMacros():
			target := dns.CanonicalName(t.Value)
			_, named := want[target]
			if len(want) > 0 && !named {
				break
			}
			if IsProtected(t.Raw, opts.Protect) {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s kept: the platform's include is protected", t.Raw))
				break
			}
			if named {
				want[target] = true
			}
			if t.Qualifier != QPass {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s kept: only includes with the + qualifier can be flattened", t.Raw))
				break
			}
			if why := unflattenable(tr.Child); why != "" {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s kept: %s", t.Raw, why))
				break
			}
			src := FlattenSource{Include: t.Raw, Networks: tr.Child.Networks, TTL: ^uint32(0)}
			collectSources(tr.Child, &src)
			if src.TTL == ^uint32(0) {
				src.TTL = 0
			}
			for _, s := range tr.Child.Networks {
				if p, err := netip.ParsePrefix(s); err == nil {
					nets = append(nets, p)
				}
			}
			res.Sources = append(res.Sources, src)
			res.Flattened = append(res.Flattened, t.Raw)
			continue
		}
		kept = append(kept, t.Raw)
	}
	for name, found := range want {
		if !found {
			return nil, fmt.Errorf("spf: flatten: %s is not an include of the record of %s (%q)", name, a.Domain, a.Record)
		}
	}
	if final == "" {
		final = "?all"
		res.Warnings = append(res.Warnings, "the record has neither all nor redirect; the flattened record ends in ?all, which gives the same neutral result")
	}
	res.Kept = append(res.Kept, kept...)
	merged := MergeNetworks(nets)
	res.Records, err = chainRecords(a.Domain, kept, merged, final, opts)
	if err != nil {
		return nil, err
	}
	// The cost of the output, measured the same way as any record's.
	over := &overlay{Resolver: r, txt: map[string]string{}}
	for _, fr := range res.Records {
		over.txt[fr.Name] = fr.Record
	}
	fa, err := Analyze(ctx, over, a.Domain, AnalyzeOptions{SkipType99: true, MaxLookups: opts.MaxLookups})
	if err != nil {
		return nil, err
	}
	res.Lookups = fa.Lookups
	res.MinTTL = ^uint32(0)
	for _, s := range res.Sources {
		if s.TTL < res.MinTTL {
			res.MinTTL = s.TTL
		}
	}
	if len(res.Sources) == 0 {
		res.MinTTL = 0
		res.Warnings = append(res.Warnings, "no include was flattened")
	}
	if res.Lookups > opts.MaxLookups {
		return res, &LimitError{Record: res.Records[0].Record, Lookups: res.Lookups, Max: opts.MaxLookups, Costs: fa.Costs}
	}
	return res, nil
}

// unflattenable says why an include's tree cannot be turned into networks.
func unflattenable(n *Node) string {
	if n == nil {
		return "its target depends on macros"
	}
	if n.Status != "ok" {
		return fmt.Sprintf("%s: %s", n.Domain, n.Error)
	}
	for _, tr := range n.Terms {
		if !tr.Reached {
			continue
		}
		lt := strings.ToLower(strings.TrimLeft(tr.Term, "+-~?"))
		switch {
		case tr.MacroDependent:
			return fmt.Sprintf("%q in %s depends on the connection", tr.Term, n.Domain)
		case strings.HasPrefix(lt, "ptr"), strings.HasPrefix(lt, "exists"):
			return fmt.Sprintf("%q in %s cannot be written as networks", tr.Term, n.Domain)
		case (strings.HasPrefix(lt, "include") || strings.HasPrefix(lt, "redirect")) && tr.Child != nil:
			if why := unflattenable(tr.Child); why != "" {
				return why
			}
		}
		if tr.Term != "" && (tr.Term[0] == '-' || tr.Term[0] == '~' || tr.Term[0] == '?') && !strings.HasSuffix(lt, "all") {
			return fmt.Sprintf("%q in %s excludes hosts, which networks cannot express", tr.Term, n.Domain)
		}
	}
	return ""
}

func collectSources(n *Node, src *FlattenSource) {
	if n == nil {
		return
	}
	src.Records = append(src.Records, SourceRecord{Domain: n.Domain, Record: n.Record, TTL: n.TTL})
	if n.TTL < src.TTL {
		src.TTL = n.TTL
	}
	for _, tr := range n.Terms {
		collectSources(tr.Child, src)
	}
}

// MergeNetworks removes duplicate and contained networks and merges
// adjacent ones (two /25 halves into a /24), IPv4 first.
func MergeNetworks(in []netip.Prefix) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range in {
		if p.IsValid() {
			ps = append(ps, netip.PrefixFrom(p.Addr().Unmap(), bitsFor(p)).Masked())
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Addr().Is4() != b.Addr().Is4() {
			return a.Addr().Is4()
		}
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c < 0
		}
		return a.Bits() < b.Bits()
	})
	var st []netip.Prefix
	for _, p := range ps {
		if n := len(st); n > 0 && st[n-1].Addr().Is4() == p.Addr().Is4() && st[n-1].Bits() <= p.Bits() && st[n-1].Contains(p.Addr()) {
			continue
		}
		st = append(st, p)
		for len(st) >= 2 {
			a, b := st[len(st)-2], st[len(st)-1]
			if a.Addr().Is4() != b.Addr().Is4() || a.Bits() != b.Bits() || a.Bits() == 0 {
				break
			}
			pa := netip.PrefixFrom(a.Addr(), a.Bits()-1).Masked()
			pb := netip.PrefixFrom(b.Addr(), b.Bits()-1).Masked()
			if pa != pb {
				break
			}
			st = append(st[:len(st)-2], pa)
		}
	}
	return st
}

func bitsFor(p netip.Prefix) int {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return p.Bits() - 96
	}
	return p.Bits()
}

func netTerm(p netip.Prefix) string {
	full := 32
	mech := "ip4:"
	if !p.Addr().Is4() {
		full, mech = 128, "ip6:"
	}
	if p.Bits() == full {
		return mech + p.Addr().String()
	}
	return mech + p.String()
}

// chainRecords lays the terms out in records of at most opts.MaxRecordLen
// octets: the domain's record holds the kept terms, as many networks as fit
// and an include of the next record; each further record _spfN.DOMAIN holds
// networks and the include of the one after it.
func chainRecords(domain string, kept []string, nets []netip.Prefix, final string, opts FlattenOptions) ([]FlatRecord, error) {
	max := opts.MaxRecordLen
	chainName := func(i int) string { return fmt.Sprintf("_spf%d.%s", i, domain) }
	var terms []string
	for _, p := range nets {
		terms = append(terms, netTerm(p))
	}
	head := "v=spf1"
	for _, k := range kept {
		head += " " + k
	}
	var out []FlatRecord
	emit := func(name, rec string) {
		out = append(out, FlatRecord{Name: name, Record: rec, Strings: SplitStrings(rec), ZoneLine: ZoneLine(name, opts.TTL, rec)})
	}
	// Everything in one record?
	one := head
	for _, t := range terms {
		one += " " + t
	}
	one += " " + final
	if len(one) <= max {
		emit(domain, one)
		return out, nil
	}
	// Fill the domain's record, reserving room for the chain include.
	idx := 1
	rec := head
	tail := " include:" + chainName(idx) + " " + final
	if len(rec)+len(tail) > max {
		return nil, fmt.Errorf("spf: flatten: the terms kept in the record of %s already take %d octets; no room under %d", domain, len(rec), max)
	}
	i := 0
	for i < len(terms) && len(rec)+1+len(terms[i])+len(tail) <= max {
		rec += " " + terms[i]
		i++
	}
	emit(domain, rec+tail)
	for i < len(terms) {
		name := chainName(idx)
		rec := "v=spf1"
		nextTail := " include:" + chainName(idx+1) + " -all"
		// Does the rest fit without a further include?
		rest := rec
		for _, t := range terms[i:] {
			rest += " " + t
		}
		if len(rest)+len(" -all") <= max {
			emit(name, rest+" -all")
			break
		}
		for i < len(terms) && len(rec)+1+len(terms[i])+len(nextTail) <= max {
			rec += " " + terms[i]
			i++
		}
		emit(name, rec+nextTail)
		idx++
	}
	return out, nil
}

// FlattenCheck compares a flattened set with today's DNS.
type FlattenCheck struct {
	Domain string `json:"domain"`
	// Changed is true when a source's networks differ from the file's, or
	// when a record published in the DNS differs from the file's.
	Changed   bool           `json:"changed"`
	Sources   []SourceChange `json:"sources"`
	Published []RecordState  `json:"published"`
}

// SourceChange is what changed in one flattened include.
type SourceChange struct {
	Include string   `json:"include"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed bool     `json:"changed"`
}

// RecordState compares a record of the file with the DNS.
type RecordState struct {
	Name      string `json:"name"`
	File      string `json:"file"`
	Published string `json:"published"`
	Same      bool   `json:"same"`
}

// FlattenFile is a parsed flatten file: the zone lines Flatten's output
// was printed as, with its "; " header (see FormatFlattenFile).
type FlattenFile struct {
	Domain     string
	Flatten    []string
	MaxLookups int
	MaxLen     int
	Sources    map[string][]string
	Records    map[string]string
	Order      []string
}

// FormatFlattenFile writes res as zone-file text with a commented header
// that CheckFlattened reads back.
//
// Every value in the header is written as a zone-file comment can hold it:
// one line of printable ASCII, other bytes as \DDD. Whatever the DNS
// returned, the header cannot end early and smuggle a record into the file,
// nor carry a terminal escape.
func FormatFlattenFile(res *FlattenResult, maxLen int) string {
	var b strings.Builder
	c := commentText
	fmt.Fprintf(&b, "; emailauth spf flatten: %s\n", c(res.Domain))
	fmt.Fprintf(&b, "; flatten: %s\n", c(strings.Join(res.Flattened, " ")))
	fmt.Fprintf(&b, "; max-lookups: %d\n", res.MaxLookups)
	if maxLen > 0 {
		fmt.Fprintf(&b, "; max-length: %d\n", maxLen)
	}
	fmt.Fprintf(&b, "; original (%d lookups): %s\n", res.OriginalLookups, c(res.Original))
	fmt.Fprintf(&b, "; flattened: %d lookups; these records go stale when a provider changes its addresses (smallest source TTL %ds): re-check with --check\n", res.Lookups, res.MinTTL)
	for _, s := range res.Sources {
		fmt.Fprintf(&b, "; source %s ttl=%d networks=%s\n", c(s.Include), s.TTL, c(strings.Join(s.Networks, ",")))
	}
	for _, r := range res.Records {
		b.WriteString(r.ZoneLine)
		b.WriteByte('\n')
	}
	return b.String()
}

// commentText writes s for a zone-file comment: printable ASCII as it is,
// any other byte (a line break, ESC, a byte of a non-ASCII character) as
// \DDD, the zone-file escape.
func commentText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			fmt.Fprintf(&b, "\\%03d", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ParseFlattenFile reads what FormatFlattenFile wrote.
func ParseFlattenFile(text string) (*FlattenFile, error) {
	ff := &FlattenFile{Sources: map[string][]string{}, Records: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var zone strings.Builder
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, ";") {
			zone.WriteString(sc.Text())
			zone.WriteByte('\n')
			continue
		}
		body := strings.TrimSpace(strings.TrimPrefix(l, ";"))
		switch {
		case strings.HasPrefix(body, "emailauth spf flatten:"):
			ff.Domain = dns.CanonicalName(strings.TrimSpace(strings.TrimPrefix(body, "emailauth spf flatten:")))
		case strings.HasPrefix(body, "flatten:"):
			ff.Flatten = strings.Fields(strings.TrimPrefix(body, "flatten:"))
		case strings.HasPrefix(body, "max-lookups:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(body, "max-lookups:")))
			if err != nil {
				return nil, fmt.Errorf("spf: flatten file line %d: bad max-lookups: %w", line, err)
			}
			ff.MaxLookups = n
		case strings.HasPrefix(body, "max-length:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(body, "max-length:")))
			if err != nil {
				return nil, fmt.Errorf("spf: flatten file line %d: bad max-length: %w", line, err)
			}
			ff.MaxLen = n
		case strings.HasPrefix(body, "source "):
			f := strings.Fields(body)
			if len(f) < 4 || !strings.HasPrefix(f[3], "networks=") {
				return nil, fmt.Errorf("spf: flatten file line %d: a source line reads \"; source include:NAME ttl=N networks=A,B\"", line)
			}
			nets := strings.TrimPrefix(f[3], "networks=")
			var list []string
			if nets != "" {
				list = strings.Split(nets, ",")
			}
			ff.Sources[f[1]] = list
		}
	}
	if ff.Domain == "" {
		return nil, fmt.Errorf("spf: not a flatten file: the \"; emailauth spf flatten: DOMAIN\" header line is missing")
	}
	zp := mdns.NewZoneParser(strings.NewReader(zone.String()), ".", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if txt, isTXT := rr.(*mdns.TXT); isTXT {
			name := dns.CanonicalName(txt.Hdr.Name)
			ff.Records[name] = strings.Join(txt.Txt, "")
			ff.Order = append(ff.Order, name)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("spf: flatten file: %w", err)
	}
	if len(ff.Records) == 0 {
		return nil, fmt.Errorf("spf: flatten file for %s has no TXT lines", ff.Domain)
	}
	return ff, nil
}

// CheckFlattened flattens again as the file says and compares: each
// source's networks, and each record of the file with what is published.
func CheckFlattened(ctx context.Context, r dns.Resolver, ff *FlattenFile) (*FlattenCheck, error) {
	// Flatten from the record as the file's sources name them: the published
	// record may already be the flattened one, so resolve the sources
	// directly.
	fc := &FlattenCheck{Domain: ff.Domain, Sources: []SourceChange{}, Published: []RecordState{}}
	for _, inc := range ff.Flatten {
		target := strings.TrimPrefix(strings.TrimLeft(strings.ToLower(inc), "+"), "include:")
		a, err := Analyze(ctx, r, target, AnalyzeOptions{SkipType99: true})
		if err != nil {
			return nil, err
		}
		if a.Incomplete {
			return nil, fmt.Errorf("%w: %s", ErrFlattenIncomplete, target)
		}
		now := a.Networks
		if a.Tree.Status != "ok" {
			now = nil
		}
		sc := diffNets(inc, ff.Sources[inc], now)
		if a.Tree.Status != "ok" {
			sc.Changed = true
		}
		if sc.Changed {
			fc.Changed = true
		}
		fc.Sources = append(fc.Sources, sc)
	}
	for _, name := range ff.Order {
		want := ff.Records[name]
		st := RecordState{Name: name, File: want}
		ans, err := r.Query(ctx, name, dns.TypeTXT)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFlattenIncomplete, err)
		}
		for _, txt := range ans.TXT() {
			if IsSPF(txt) {
				st.Published = txt
			}
		}
		st.Same = st.Published == want
		if !st.Same {
			fc.Changed = true
		}
		fc.Published = append(fc.Published, st)
	}
	return fc, nil
}

func diffNets(inc string, old, now []string) SourceChange {
	sc := SourceChange{Include: inc, Added: []string{}, Removed: []string{}}
	o := map[string]bool{}
	for _, s := range old {
		o[s] = true
	}
	n := map[string]bool{}
	for _, s := range now {
		n[s] = true
		if !o[s] {
			sc.Added = append(sc.Added, s)
		}
	}
	for _, s := range old {
		if !n[s] {
			sc.Removed = append(sc.Removed, s)
		}
	}
	sc.Changed = len(sc.Added)+len(sc.Removed) > 0
	return sc
}
