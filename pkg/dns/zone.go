package dns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	mdns "github.com/miekg/dns"
)

// zoneDefaultTTL is the TTL of a record that states none before any $TTL
// line or earlier explicit TTL.
const zoneDefaultTTL = 3600

// zoneTypeANY is the QTYPE that asks for every record at a name.
const zoneTypeANY = mdns.TypeANY

// Zone is an authoritative view of BIND-format zone files. It answers as an
// authoritative server for the data it holds would: the RRset of the asked
// type, NXDOMAIN for a name that does not exist, NODATA for a name that
// exists without that type (including empty non-terminals), CNAMEs followed
// within the zones, and wildcards synthesized as RFC 4592 describes. It never
// sets the AD bit.
//
// A Zone built from files knows which names it is authoritative for (see
// Authoritative): the names at and below each SOA owner, or, in a file
// without an SOA record, at and below each $ORIGIN (or the origin given to
// ParseZone); a file with neither is authoritative for exactly the names it
// holds. Asked about any other name, a Zone on its own answers NXDOMAIN
// with Answer.NotCovered set: that is offline mode, where the zone files are
// the whole DNS, and a check should say such a name was not checked rather
// than that it does not exist. Use NewChain to send those names to the
// network instead.
//
// The details of the answers:
//   - Names are compared case-insensitively and stored in lower case (owner
//     names and the host names in CNAME, MX, NS, PTR and SRV data); records
//     are answered in file order, TTLs as written. Identical records are
//     kept once.
//   - The ancestors of every name exist, up to its top-level domain, so
//     they answer NODATA, not NXDOMAIN (RFC 8020: NXDOMAIN means nothing
//     exists below).
//   - A CNAME at the name is followed (RFC 1034 §4.3.2). Loading refuses a
//     CNAME beside other data; a Zone merged by hand may still hold one,
//     and then the CNAME is followed whatever else the name holds and the
//     answer flags the name (Answer.CNAMEAndOtherData). A CNAME loop or a
//     chain of more than MaxCNAMEs aliases is the error the Resolver's rules
//     give (ErrCNAMELoop, ErrCNAMEChainTooLong). A query of type CNAME
//     returns the CNAME; one of type ANY returns every record at the name.
//   - A wildcard answers for a name only when the name does not exist and
//     the wildcard is the child of its closest encloser (RFC 4592 §3.3.1), so
//     an existing name or empty non-terminal blocks it. The records are
//     synthesized with the query name as owner.
//   - An NS record below an apex is a delegation: Authoritative is false for
//     the names at and below it (unless their own zone is loaded), so a Chain
//     asks the network; a Zone on its own answers them from its data.
//   - DNAME records are held but not followed.
//   - Answer.Source is "zone:" and the file the answering record came from
//     (the $INCLUDEd file, if it came from one), or the file of the apex
//     for NXDOMAIN; "zone" when no file is concerned.
//
// Query is safe for concurrent use; Merge is not, and must not run
// concurrently with Query. Callers must not modify the records of an
// answer beyond the Record values themselves: their Strings and RR are
// shared with the zone.
type Zone struct {
	nodes  map[string]*zoneNode // every name that exists, by canonical name
	apexes map[string]string    // apex (canonical, "" for the root) -> the file that made it one
	exact  map[string]string    // names held by a file without apex -> the file
	cuts   map[string]bool      // names below an apex that own NS records (delegations)
	files  []string

	answers atomic.Int64
}

type zoneNode struct {
	rrs       []zoneRR
	seen      map[string]struct{} // type and data of rrs, once there are many
	file      string              // the first file that holds this name or a name below it
	cname     string              // the target of the first CNAME at this name
	cnameFile string
}

type zoneRR struct {
	rec  Record
	file string
}

// ZoneError reports a zone file that cannot be used: a syntax error, a
// missing or unreadable file, an $INCLUDE loop or an $INCLUDE outside the
// including file's directory, a record outside its zone, a CNAME beside
// other data, a zone over a limit of ZoneOptions. Line is 0 when the error
// concerns the file as a whole or the line is not known.
//
// An error about a file that was $INCLUDEd names the file, the line and the
// column, never its content: the user named the top-level file, not the
// files it includes.
type ZoneError struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *ZoneError) Error() string {
	loc := e.File
	if loc == "" {
		loc = "zone text"
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	return "zone: " + loc + ": " + e.Err.Error()
}

func (e *ZoneError) Unwrap() error { return e.Err }

// Errors wrapped by a *ZoneError, for callers that branch on the kind of
// problem.
var (
	// ErrZoneTooLarge: the zone has more records, or a file more octets,
	// than ZoneOptions allow.
	ErrZoneTooLarge = errors.New("zone too large")
	// ErrZoneIncludeOutside: an $INCLUDE names a file outside the directory
	// of the file that includes it (after resolving symbolic links).
	ErrZoneIncludeOutside = errors.New("$INCLUDE outside the zone file's directory")
	// ErrZoneCNAMEAndOtherData: a name holds a CNAME record beside other
	// records, or two CNAME records (RFC 1034 §3.6.2, RFC 2181 §10.1).
	ErrZoneCNAMEAndOtherData = errors.New("CNAME and other data")
)

// Defaults of ZoneOptions.
const (
	// DefaultZoneMaxRecords bounds the records of one zone file named by
	// the caller, counting what it $INCLUDEs and what its $GENERATE lines
	// make.
	DefaultZoneMaxRecords = 100_000
	// DefaultZoneMaxTotalRecords bounds the records of all the files loaded
	// together.
	DefaultZoneMaxTotalRecords = 1_000_000
	// DefaultZoneMaxFileSize bounds the size of each file read, named or
	// $INCLUDEd.
	DefaultZoneMaxFileSize = 64 << 20
)

// ZoneOptions bound what loading zone files may cost: zone files are often
// written by someone else (a tenant, a customer), and one line of $GENERATE
// makes 65,536 records. The zero value of each field means its default.
type ZoneOptions struct {
	// MaxRecords bounds the records of each file given (with what it
	// includes and generates). Default DefaultZoneMaxRecords (100,000).
	MaxRecords int
	// MaxTotalRecords bounds the records of all the files given together.
	// Default DefaultZoneMaxTotalRecords (1,000,000).
	MaxTotalRecords int
	// MaxFileSize bounds the size in octets of each file read, the files
	// given and the files they include. Default DefaultZoneMaxFileSize
	// (64 MiB).
	MaxFileSize int64
}

func (o ZoneOptions) withDefaults() ZoneOptions {
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultZoneMaxRecords
	}
	if o.MaxTotalRecords <= 0 {
		o.MaxTotalRecords = DefaultZoneMaxTotalRecords
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultZoneMaxFileSize
	}
	return o
}

// LoadZoneFiles reads zone files with the default ZoneOptions; see
// ZoneOptions.LoadFiles.
func LoadZoneFiles(paths ...string) (*Zone, error) {
	return ZoneOptions{}.LoadFiles(paths...)
}

// LoadFiles reads BIND-format zone files (RFC 1035 §5 master files, with
// $ORIGIN, $TTL, $INCLUDE and $GENERATE) and merges them into one Zone.
//
// A file starts with no origin: a name without a trailing dot (or "@")
// before the first $ORIGIN line is an error, since there is nothing it could
// be relative to. $INCLUDE paths are relative to the directory of the file
// that includes them (as BIND does with its directory option), and must
// name a regular file in that directory or below it, once symbolic links
// are resolved: "$INCLUDE /etc/passwd", "$INCLUDE ../x" and a link leading
// out of the directory are refused (ErrZoneIncludeOutside), as is an
// $INCLUDE loop. A record without a TTL takes the $TTL in force, else the
// last TTL stated (RFC 1035 §5.1), else 3600. Character-strings are decoded
// (\" and \DDD); one longer than 255 octets is split into 255-octet strings,
// as it would have to be on the wire. In a file with an SOA record, a record
// outside the zones of its SOA records is an error (BIND ignores such data;
// here it would silently be unreachable when a Chain sends its name to the
// network). A name with a CNAME record and another record (other than
// RRSIG and NSEC), or with two CNAME records, is an error, in one file or
// across files (ErrZoneCNAMEAndOtherData; named-checkzone refuses it too).
// Two files for the same apex are merged. A file or a set of files over the
// limits of o is refused (ErrZoneTooLarge).
//
// Every error is a *ZoneError naming the file and, where it is known, the
// line; for a missing file it wraps the os error, so errors.Is(err,
// fs.ErrNotExist) holds.
func (o ZoneOptions) LoadFiles(paths ...string) (*Zone, error) {
	o = o.withDefaults()
	z := &Zone{}
	z.init()
	texts := map[string]*zoneTexts{}
	total := 0
	for _, p := range paths {
		data, err := zoneReadNamed(p, o.MaxFileSize)
		if err != nil {
			return nil, err
		}
		budget := min(o.MaxRecords, o.MaxTotalRecords-total)
		u, tx, n, err := zoneParse(data, p, "", o, budget, budget < o.MaxRecords)
		if err != nil {
			return nil, err
		}
		total += n
		for f := range tx.byFile {
			texts[f] = tx
		}
		z.Merge(u)
	}
	if err := z.checkCNAMEs(texts); err != nil {
		return nil, err
	}
	return z, nil
}

// zoneReadNamed reads a zone file the caller named. It need not be a
// regular file (a pipe is fine), but it is read only up to max octets.
func zoneReadNamed(p string, max int64) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, &ZoneError{File: p, Err: zoneUnwrapPathError(err)}
	}
	if fi.IsDir() {
		return nil, &ZoneError{File: p, Err: errors.New("is a directory, not a zone file")}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, &ZoneError{File: p, Err: zoneUnwrapPathError(err)}
	}
	defer f.Close()
	data, err := zoneReadAll(f, max)
	if err != nil {
		return nil, &ZoneError{File: p, Err: err}
	}
	return data, nil
}

// zoneReadAll reads r up to max octets; more is ErrZoneTooLarge.
func zoneReadAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, zoneUnwrapPathError(err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: the file is larger than %d octets (the limit of ZoneOptions.MaxFileSize): split the zone", ErrZoneTooLarge, max)
	}
	return data, nil
}

// ParseZone reads one zone in BIND format from r with the default
// ZoneOptions; see ZoneOptions.Parse.
func ParseZone(r io.Reader, file, origin string) (*Zone, error) {
	return ZoneOptions{}.Parse(r, file, origin)
}

// Parse reads one zone in BIND format from r, with the rules of LoadFiles.
// The file name is used in errors, in Answer.Source and to resolve relative
// $INCLUDE paths (an empty name stands for a file in the working
// directory); origin, when not empty, is the initial origin, as if the text
// began with an $ORIGIN line.
func (o ZoneOptions) Parse(r io.Reader, file, origin string) (*Zone, error) {
	o = o.withDefaults()
	data, err := zoneReadAll(r, o.MaxFileSize)
	if err != nil {
		return nil, &ZoneError{File: file, Err: err}
	}
	budget := min(o.MaxRecords, o.MaxTotalRecords)
	z, tx, _, err := zoneParse(data, file, origin, o, budget, false)
	if err != nil {
		return nil, err
	}
	texts := map[string]*zoneTexts{}
	for f := range tx.byFile {
		texts[f] = tx
	}
	if err := z.checkCNAMEs(texts); err != nil {
		return nil, err
	}
	return z, nil
}

// Merge adds the records and apexes of other to z. Identical records are
// kept once; records of both at one name are kept in order, z's first.
// Unlike LoadFiles, it does not refuse a CNAME that ends up beside other
// data (answers flag it; see Answer.CNAMEAndOtherData).
func (z *Zone) Merge(other *Zone) {
	if other == nil {
		return
	}
	z.init()
	for _, f := range other.files {
		z.addFile(f)
	}
	for a, f := range other.apexes {
		if _, ok := z.apexes[a]; !ok {
			z.apexes[a] = f
		}
	}
	for n, f := range other.exact {
		if _, ok := z.exact[n]; !ok {
			z.exact[n] = f
		}
	}
	for n := range other.cuts {
		z.cuts[n] = true
	}
	// Walk other's names in a fixed order so that merging is deterministic.
	names := make([]string, 0, len(other.nodes))
	for n := range other.nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		on := other.nodes[n]
		node := z.node(n, on.file)
		for _, r := range on.rrs {
			node.add(r)
		}
	}
}

// Apexes returns the names the zone is authoritative for together with the
// names below them, sorted; the root is ".".
func (z *Zone) Apexes() []string {
	out := make([]string, 0, len(z.apexes))
	for a := range z.apexes {
		if a == "" {
			a = "."
		}
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Files returns the files the zone was read from, in the order read,
// $INCLUDEd files after the file that included them.
func (z *Zone) Files() []string { return append([]string(nil), z.files...) }

// Authoritative reports whether the zone files decide the fate of name: it
// is at or below an apex (and not below a delegation to another zone that is
// not loaded), or it is one of the names held by a file without apex.
func (z *Zone) Authoritative(name string) bool {
	n := CanonicalName(name)
	if _, ok := z.exact[n]; ok {
		return true
	}
	if len(z.apexes) == 0 {
		return false
	}
	for cur := n; ; {
		if _, ok := z.apexes[cur]; ok {
			return true
		}
		if z.cuts[cur] {
			return false
		}
		if cur == "" {
			return false
		}
		cur = zoneParent(cur)
	}
}

// Stats reports how many questions the zone answered.
func (z *Zone) Stats() Stats { return Stats{ZoneAnswers: z.answers.Load()} }

// Query implements Resolver. A name outside every apex is NXDOMAIN.
func (z *Zone) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckQueryName(name); err != nil {
		return nil, err
	}
	z.answers.Add(1)
	a, _, err := z.resolve(CanonicalName(name), qtype, nil)
	if a != nil {
		end := a.Name
		if len(a.CNAMEs) > 0 {
			end = a.CNAMEs[len(a.CNAMEs)-1]
		}
		a.NotCovered = !z.Authoritative(end)
	}
	return a, err
}

// resolve answers n (canonical) and follows CNAMEs within the zone. When
// leave reports true for a CNAME target, resolution stops there and the
// target is returned: the caller continues elsewhere.
func (z *Zone) resolve(n string, qtype uint16, leave func(string) bool) (*Answer, string, error) {
	a := &Answer{Name: n, Type: qtype, Records: []Record{}}
	cur := n
	for {
		rrs, cname, exists, src, conflict := z.lookup(cur, qtype)
		a.Source = src
		if conflict {
			a.CNAMEAndOtherData = append(a.CNAMEAndOtherData, cur)
		}
		if len(rrs) > 0 {
			a.Records = rrs
			return a, "", nil
		}
		if cname == "" {
			if !exists {
				a.RCode = RcodeNXDomain
			}
			return a, "", nil
		}
		if cname == n || zoneContains(a.CNAMEs, cname) {
			a.RCode = RcodeServFail
			a.CNAMEs = append(a.CNAMEs, cname)
			return a, "", cnameLoopError(n, qtype, src, a.CNAMEs)
		}
		if len(a.CNAMEs) >= MaxCNAMEs {
			a.RCode = RcodeServFail
			a.CNAMEs = append(a.CNAMEs, cname)
			return a, "", cnameLongError(n, qtype, src)
		}
		a.CNAMEs = append(a.CNAMEs, cname)
		if leave != nil && leave(cname) {
			return a, cname, nil
		}
		cur = cname
	}
}

func zoneContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lookup answers one name without following CNAMEs: the records of the type,
// or the target of a CNAME to follow, or neither (NODATA if exists, else
// NXDOMAIN). src is the Answer.Source; conflict says that the node answering
// holds a CNAME beside other data.
func (z *Zone) lookup(name string, qtype uint16) (rrs []Record, cname string, exists bool, src string, conflict bool) {
	if node := z.nodes[name]; node != nil {
		rrs, cname, src = node.answer(name, qtype, false)
		return rrs, cname, true, src, node.conflict()
	}
	// RFC 4592 §3.3.1: find the closest encloser, the longest existing
	// ancestor; only the wildcard directly below it can match. An existing
	// ancestor without a wildcard child (an empty non-terminal too) means
	// NXDOMAIN.
	for enc := zoneParent(name); enc != ""; enc = zoneParent(enc) {
		node := z.nodes[enc]
		if node == nil {
			continue
		}
		w := z.nodes["*."+enc]
		if w == nil {
			return nil, "", false, z.nxSource(name, node.file), false
		}
		rrs, cname, src = w.answer(name, qtype, true)
		return rrs, cname, true, src, w.conflict()
	}
	return nil, "", false, z.nxSource(name, ""), false
}

// conflict reports whether the node holds a CNAME beside other data (other
// than the DNSSEC records RFC 4035 §2.5 allows beside it), or two CNAMEs.
func (node *zoneNode) conflict() bool {
	if node.cname == "" {
		return false
	}
	cnames := 0
	for i := range node.rrs {
		switch node.rrs[i].rec.Type {
		case TypeCNAME:
			cnames++
		case mdns.TypeRRSIG, mdns.TypeNSEC:
		default:
			return true
		}
	}
	return cnames > 1
}

// nxSource names the file that says name does not exist: the file of the apex
// above it, else the file of its closest existing ancestor.
func (z *Zone) nxSource(name, fallback string) string {
	for cur := name; ; cur = zoneParent(cur) {
		if f, ok := z.apexes[cur]; ok {
			return zoneSource(f)
		}
		if cur == "" {
			break
		}
	}
	if fallback != "" {
		return zoneSource(fallback)
	}
	return "zone"
}

func zoneSource(file string) string {
	if file == "" {
		return "zone"
	}
	return "zone:" + file
}

// answer returns the records of qtype at the node (renamed to qname when the
// node is a wildcard), or the CNAME target to follow.
func (node *zoneNode) answer(qname string, qtype uint16, synth bool) ([]Record, string, string) {
	if node.cname != "" && qtype != TypeCNAME && qtype != zoneTypeANY {
		// RFC 1034 §4.3.2 step 3.a: a CNAME at the node is followed whatever
		// else the node holds.
		return nil, node.cname, zoneSource(node.cnameFile)
	}
	var out []Record
	src := ""
	for i := range node.rrs {
		r := &node.rrs[i]
		if r.rec.Type != qtype && qtype != zoneTypeANY {
			continue
		}
		if src == "" {
			src = zoneSource(r.file)
		}
		rec := r.rec
		if synth {
			rec = zoneSynthesize(rec, qname)
		}
		out = append(out, rec)
	}
	if src == "" {
		src = zoneSource(node.file)
	}
	return out, "", src
}

// zoneSynthesize returns a copy of a wildcard record owned by qname.
func zoneSynthesize(rec Record, qname string) Record {
	rec.Name = qname
	if rec.RR != nil {
		rr := mdns.Copy(rec.RR)
		rr.Header().Name = mdns.Fqdn(qname)
		rec.RR = rr
	}
	if rec.Strings != nil {
		rec.Strings = append([]string(nil), rec.Strings...)
	}
	return rec
}

func (z *Zone) init() {
	if z.nodes == nil {
		z.nodes = map[string]*zoneNode{}
	}
	if z.apexes == nil {
		z.apexes = map[string]string{}
	}
	if z.exact == nil {
		z.exact = map[string]string{}
	}
	if z.cuts == nil {
		z.cuts = map[string]bool{}
	}
}

func (z *Zone) addFile(f string) {
	for _, g := range z.files {
		if g == f {
			return
		}
	}
	z.files = append(z.files, f)
}

// node returns the node of n, creating it (with file as its file) if needed.
func (z *Zone) node(n, file string) *zoneNode {
	node := z.nodes[n]
	if node == nil {
		node = &zoneNode{file: file}
		z.nodes[n] = node
	}
	return node
}

// zoneIndexAt is the number of records at a name from which duplicates are
// found through an index rather than by comparing with each record.
const zoneIndexAt = 16

// ancestors makes the names above n exist, up to its top-level domain: a
// name that has a name below it exists (RFC 8020), as an empty non-terminal
// if it holds nothing. Every node's ancestors exist, so the walk stops at the
// first that does.
func (z *Zone) ancestors(n, file string) {
	for p := zoneParent(n); p != ""; p = zoneParent(p) {
		if _, ok := z.nodes[p]; ok {
			return
		}
		z.node(p, file)
	}
}

func (node *zoneNode) add(r zoneRR) {
	key := zoneDupKey(r.rec)
	if node.seen != nil {
		if _, dup := node.seen[key]; dup {
			return
		}
	} else {
		for _, o := range node.rrs {
			if o.rec.Type == r.rec.Type && o.rec.Data == r.rec.Data {
				return
			}
		}
		if len(node.rrs)+1 >= zoneIndexAt {
			node.seen = make(map[string]struct{}, 2*zoneIndexAt)
			for _, o := range node.rrs {
				node.seen[zoneDupKey(o.rec)] = struct{}{}
			}
		}
	}
	if node.seen != nil {
		node.seen[key] = struct{}{}
	}
	node.rrs = append(node.rrs, r)
	if r.rec.Type == TypeCNAME && node.cname == "" {
		node.cname = r.rec.Target
		node.cnameFile = r.file
	}
}

// zoneDupKey identifies a record at its name: two records with the same type
// and data (names in it already in lower case) are the same record.
func zoneDupKey(r Record) string { return strconv.Itoa(int(r.Type)) + " " + r.Data }

// zoneParent returns the name one label up ("" above a single label). It
// honours escaped dots ("a\.b.example" has parent "example").
func zoneParent(n string) string {
	for i := 0; i < len(n); i++ {
		switch n[i] {
		case '\\':
			i++
		case '.':
			return n[i+1:]
		}
	}
	return ""
}

// zoneUnder reports whether n is at or below apex (canonical names).
func zoneUnder(n, apex string) bool {
	if apex == "" {
		return true
	}
	return n == apex || (strings.HasSuffix(n, apex) && len(n) > len(apex) && n[len(n)-len(apex)-1] == '.')
}

type zoneItem struct {
	rr   mdns.RR
	file string
}

// zoneTexts keeps the text of the files read for one named file, to place
// records on their lines in error messages (the parser does not tell the
// line of a record).
type zoneTexts struct {
	top     string            // display name of the named file
	origin  string            // its initial origin, fully qualified, or ""
	byFile  map[string][]byte // the text of each file, by display name
	origins []string          // every origin seen, canonical ("" for the root)
}

// line returns the line of the first record of the type (0: any) owned by
// owner (canonical) in file, or 0.
func (tx *zoneTexts) line(file, owner string, typ uint16) int {
	text, ok := tx.byFile[file]
	if !ok {
		return 0
	}
	if file == tx.top {
		return zoneFindLine(text, tx.origin, owner, typ, nil)
	}
	// The origin an included file starts with is not known here: a name
	// relative to it matches when it is relative to one of the zone's
	// origins. One pass, however many origins there are.
	origins := make(map[string]bool, len(tx.origins))
	for _, o := range tx.origins {
		origins[o] = true
	}
	return zoneFindLine(text, "", owner, typ, origins)
}

// named reports whether file is the file the caller named (whose content an
// error may quote), not one it includes.
func (tx *zoneTexts) named(file string) bool { return tx == nil || file == tx.top }

// zoneParse parses one named zone file (and what it includes) into a Zone
// of its own. It stops with ErrZoneTooLarge after budget records
// (ofTotal: the budget is what is left of MaxTotalRecords). It returns the
// texts read and the number of records parsed.
func zoneParse(data []byte, file, origin string, o ZoneOptions, budget int, ofTotal bool) (z *Zone, tx *zoneTexts, count int, err error) {
	// The parser is miekg's; should it ever panic on some input, that is a
	// bad zone file to the user, not a crash.
	defer func() {
		if p := recover(); p != nil {
			z, err = nil, &ZoneError{File: file, Err: fmt.Errorf("the zone file parser failed (%v); please report this with the file", p)}
		}
	}()
	if origin != "" {
		if _, ok := mdns.IsDomainName(origin); !ok || strings.ContainsAny(origin, " \t\n") {
			return nil, nil, 0, &ZoneError{File: file, Err: fmt.Errorf("bad origin %q: want a domain name such as example.com", origin)}
		}
	}
	inc := newZoneIncludeFS(file, o.MaxFileSize)
	inc.texts[file] = data
	zp := mdns.NewZoneParser(bytes.NewReader(data), origin, inc.topAbs)
	zp.SetIncludeAllowed(true)
	zp.SetIncludeFS(inc)
	zp.SetDefaultTTL(zoneDefaultTTL)
	if origin != "" {
		if _, ok := mdns.IsDomainName(origin); ok {
			inc.origins = append(inc.origins, CanonicalName(mdns.Fqdn(origin)))
		}
	}
	inc.scanOrigins(data, origin)
	tx = &zoneTexts{top: file, byFile: inc.texts}
	if origin != "" {
		tx.origin = mdns.Fqdn(origin)
	}

	var items []zoneItem
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if len(items) >= budget {
			what := fmt.Sprintf("the file has more than %d records (the limit of ZoneOptions.MaxRecords)", budget)
			if ofTotal {
				what = fmt.Sprintf("the zone files together have more than %d records (the limit of ZoneOptions.MaxTotalRecords)", o.MaxTotalRecords)
			}
			return nil, nil, 0, &ZoneError{File: inc.current(), Err: fmt.Errorf("%w: %s; a $GENERATE range or an $INCLUDE makes too many: split the zone, or raise the limit", ErrZoneTooLarge, what)}
		}
		items = append(items, zoneItem{rr, inc.current()})
	}
	if err := zp.Err(); err != nil {
		return nil, nil, 0, inc.zoneError(err)
	}
	tx.origins = inc.origins

	z = &Zone{}
	z.init()
	z.addFile(file)
	for _, f := range inc.included {
		z.addFile(f)
	}

	// The apexes: the SOA owners, else the origins.
	var apexes []string
	apexFile := map[string]string{}
	bySOA := false
	for _, it := range items {
		if it.rr.Header().Rrtype == mdns.TypeSOA {
			a := CanonicalName(it.rr.Header().Name)
			apexes = zoneAppendNew(apexes, a)
			if _, ok := apexFile[a]; !ok {
				apexFile[a] = it.file
			}
			bySOA = true
		}
	}
	if !bySOA {
		for _, o := range inc.origins {
			apexes = zoneAppendNew(apexes, o)
			apexFile[o] = file
		}
	}
	for _, a := range apexes {
		z.apexes[a] = apexFile[a]
		if a != "" {
			z.node(a, apexFile[a])
			z.ancestors(a, apexFile[a])
		}
	}

	for _, it := range items {
		rec := zoneRecord(it.rr)
		n := rec.Name
		apex, under := "", false
		for _, a := range apexes {
			if zoneUnder(n, a) && (!under || len(a) > len(apex)) {
				apex, under = a, true
			}
		}
		if !under {
			if bySOA {
				line := tx.line(it.file, n, rec.Type)
				if !tx.named(it.file) {
					return nil, nil, 0, &ZoneError{File: it.file, Line: line, Err: fmt.Errorf("a %s record lies outside the zone of the SOA record: move it to a zone file of its own or remove it", TypeString(rec.Type))}
				}
				return nil, nil, 0, &ZoneError{File: it.file, Line: line, Err: fmt.Errorf("the record %s lies outside the zone (its SOA is at %s): move it to a zone file of its own or remove it",
					strings.ReplaceAll(it.rr.String(), "\t", " "), zoneApexList(apexes))}
			}
			z.exact[n] = it.file
		}
		node := z.node(n, it.file)
		node.add(zoneRR{rec: rec, file: it.file})
		if rec.Type == TypeNS && under && n != apex {
			z.cuts[n] = true
		}
		z.ancestors(n, it.file)
	}
	return z, tx, len(items), nil
}

// checkCNAMEs refuses a name with a CNAME beside other data, or two CNAMEs.
// texts gives, by file, the texts to find lines in. The first such name in
// canonical order is reported.
func (z *Zone) checkCNAMEs(texts map[string]*zoneTexts) error {
	var bad []string
	for n, node := range z.nodes {
		if node.conflict() {
			bad = append(bad, n)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	n := bad[0]
	node := z.nodes[n]
	file := node.cnameFile
	tx := texts[file]
	var types []string
	otherFiles := []string{}
	for _, r := range node.rrs {
		t := TypeString(r.rec.Type)
		if r.rec.Type == TypeCNAME && r.rec.Target == node.cname {
			continue
		}
		if !zoneContains(types, t) {
			types = append(types, t)
		}
		if r.file != file && !zoneContains(otherFiles, r.file) {
			otherFiles = append(otherFiles, r.file)
		}
	}
	line := 0
	if tx != nil {
		line = tx.line(file, n, TypeCNAME)
	}
	where := ""
	if len(otherFiles) > 0 {
		where = " (the other records are in " + strings.Join(otherFiles, ", ") + ")"
	}
	more := ""
	if len(bad) > 1 {
		more = fmt.Sprintf("; %d other names have the same problem", len(bad)-1)
	}
	why := "a name with a CNAME can hold no other record (RFC 1034 §3.6.2, RFC 2181 §10.1), and resolvers disagree on what such a name answers: keep either the CNAME or the other records"
	if _, apex := z.apexes[n]; apex {
		why = "a zone apex must hold SOA and NS records, so it can never be a CNAME (RFC 1034 §3.6.2, RFC 2181 §10.1): remove the CNAME and publish the records it was meant to provide (an A or AAAA record, or your DNS provider's ALIAS/flattening feature)"
	}
	if !tx.named(file) {
		return &ZoneError{File: file, Line: line, Err: fmt.Errorf("%w: a name has a CNAME record and %s records%s; %s%s", ErrZoneCNAMEAndOtherData, strings.Join(types, ", "), where, why, more)}
	}
	return &ZoneError{File: file, Line: line, Err: fmt.Errorf("%w: %s has a CNAME record and %s records%s; %s%s", ErrZoneCNAMEAndOtherData, zoneShowName(n), strings.Join(types, ", "), where, why, more)}
}

func zoneShowName(n string) string {
	if n == "" {
		return "."
	}
	return n
}

// zoneFindLine returns the line where a record of the type (0: any) owned by
// owner (canonical) starts in text, or 0. origin is the initial origin
// (fully qualified, or "" when unknown); while it is unknown, a relative
// name matches owner when owner is that name below one of origins
// (canonical). It reads RFC 1035 §5.1 syntax as far as placing records
// needs, in one pass: $ORIGIN, owners left blank, parentheses, quoted
// strings and comments; records made by $GENERATE are not found.
func zoneFindLine(text []byte, origin, owner string, typ uint16, origins map[string]bool) int {
	found := 0
	prevMatch := false // whether the last owner written matches owner
	toks := make([]string, 0, 8)
	startLine, indented := 0, false
	ownerMatches := func(tok string) bool {
		if origin != "" {
			return zoneAbsoluteOwner(tok, origin) == owner
		}
		if mdns.IsFqdn(tok) && tok != "@" {
			return CanonicalName(tok) == owner
		}
		if origins == nil {
			return false
		}
		if tok == "@" {
			return origins[owner]
		}
		rel := CanonicalName(tok)
		return len(owner) > len(rel) && owner[:len(rel)] == rel && owner[len(rel)] == '.' && origins[owner[len(rel)+1:]]
	}
	emit := func() bool {
		if len(toks) == 0 {
			return false
		}
		rest := toks
		switch {
		case strings.HasPrefix(toks[0], "$"):
			if strings.EqualFold(toks[0], "$ORIGIN") && len(toks) > 1 {
				switch {
				case toks[1] == ".":
					origin = "."
				case mdns.IsFqdn(toks[1]):
					origin = toks[1]
				case origin != "":
					origin = mdns.Fqdn(zoneAbsolute(toks[1], origin))
				}
			}
			return false
		case !indented:
			prevMatch = ownerMatches(toks[0])
			rest = toks[1:]
		}
		if !prevMatch {
			return false
		}
		for _, t := range rest {
			if rt, ok := mdns.StringToType[strings.ToUpper(t)]; ok {
				if typ == 0 || rt == typ {
					found = startLine
					return true
				}
				return false
			}
		}
		return false
	}
	line, paren, newLogical := 1, 0, true
	for i := 0; i < len(text); {
		c := text[i]
		if newLogical {
			startLine, indented, toks, newLogical = line, c == ' ' || c == '\t', toks[:0], false
		}
		switch {
		case c == '\n':
			line++
			i++
			if paren == 0 {
				if emit() {
					return found
				}
				newLogical = true
			}
		case c == ';':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '(':
			paren++
			i++
		case c == ')':
			if paren > 0 {
				paren--
			}
			i++
		case c == '"':
			j := i + 1
			for j < len(text) && text[j] != '"' {
				if text[j] == '\\' {
					j++
				}
				if j < len(text) && text[j] == '\n' {
					line++
				}
				j++
			}
			toks = append(toks, `""`)
			i = j + 1
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\r\n;()\"", rune(text[j])) {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j, len(text))
			toks = append(toks, string(text[i:j]))
			i = j
		}
	}
	if emit() {
		return found
	}
	return 0
}

// zoneAbsoluteOwner turns an owner name as written into a canonical name,
// relative to origin (fully qualified, or "" when unknown); "" when it cannot.
func zoneAbsoluteOwner(tok, origin string) string {
	if tok == "@" {
		if origin == "" {
			return "\x00" // matches nothing
		}
		return CanonicalName(origin)
	}
	if n := zoneAbsolute(tok, origin); n != "" || tok == "." {
		return n
	}
	return "\x00"
}

// zoneAbsolute makes a name absolute and canonical ("" for the root, and
// for a relative name without origin).
func zoneAbsolute(tok, origin string) string {
	if mdns.IsFqdn(tok) {
		return CanonicalName(tok)
	}
	if origin == "" {
		return ""
	}
	if origin == "." {
		return CanonicalName(tok)
	}
	return CanonicalName(tok + "." + origin)
}

func zoneAppendNew(list []string, s string) []string {
	if zoneContains(list, s) {
		return list
	}
	return append(list, s)
}

func zoneApexList(apexes []string) string {
	out := make([]string, len(apexes))
	for i, a := range apexes {
		if a == "" {
			a = "."
		}
		out[i] = a
	}
	return strings.Join(out, ", ")
}

// zoneRecord canonicalizes rr (owner and target names in lower case) and
// decodes it.
func zoneRecord(rr mdns.RR) Record {
	h := rr.Header()
	h.Name = strings.ToLower(h.Name)
	switch v := rr.(type) {
	case *mdns.CNAME:
		v.Target = strings.ToLower(v.Target)
	case *mdns.MX:
		v.Mx = strings.ToLower(v.Mx)
	case *mdns.NS:
		v.Ns = strings.ToLower(v.Ns)
	case *mdns.PTR:
		v.Ptr = strings.ToLower(v.Ptr)
	case *mdns.SRV:
		v.Target = strings.ToLower(v.Target)
	case *mdns.DNAME:
		v.Target = strings.ToLower(v.Target)
	}
	return FromRR(rr)
}

func zoneUnwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// zoneIncludeFS opens the files named by $INCLUDE for miekg's ZoneParser. It
// resolves them on the operating system's file system (the parser has already
// made relative paths relative to the including file), refuses include loops,
// and keeps the stack of files being read, so that each record can be traced
// to the file it came from.
//
// The parser is given absolute paths; they come back here with the leading
// slash removed, as fs.FS paths are.
type zoneIncludeFS struct {
	maxSize    int64
	topAbs     string
	topDisplay string
	stack      []string          // absolute paths of the files being read, outermost first
	shown      []string          // their display names
	opened     []string          // absolute paths of the included files, in order
	included   []string          // display names of the included files, in order
	origins    []string          // absolute $ORIGIN names seen, canonical
	texts      map[string][]byte // the text of each file, by display name
}

func newZoneIncludeFS(file string, maxSize int64) *zoneIncludeFS {
	abs := file
	if abs == "" {
		abs = "zone"
	}
	if a, err := filepath.Abs(abs); err == nil {
		abs = a
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs
	}
	return &zoneIncludeFS{maxSize: maxSize, topAbs: abs, topDisplay: file, stack: []string{abs}, shown: []string{file}, texts: map[string][]byte{}}
}

// display turns a path the parser knows into the one to show the user: the
// top file as it was given, files below its directory relative to the same
// place, others absolute.
func (f *zoneIncludeFS) display(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p == f.topAbs {
		return f.topDisplay
	}
	dir := filepath.Dir(zoneOSPath(f.topAbs))
	if rel, err := filepath.Rel(dir, zoneOSPath(p)); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.Join(filepath.Dir(f.topDisplay), rel)
	}
	return zoneOSPath(p)
}

// zoneOSPath turns an absolute slash path of the parser ("/dir/a.zone", or
// "/C:/dir/a.zone" on Windows) into an operating-system path.
func zoneOSPath(p string) string {
	if len(p) > 2 && p[0] == '/' && p[2] == ':' && filepath.Separator == '\\' {
		p = p[1:]
	}
	return filepath.FromSlash(p)
}

func (f *zoneIncludeFS) current() string { return f.shown[len(f.shown)-1] }

// zoneIncludeLoopError is an $INCLUDE of a file that is being read.
type zoneIncludeLoopError struct{ chain []string }

func (e *zoneIncludeLoopError) Error() string {
	return "$INCLUDE loop: " + strings.Join(e.chain, " includes ")
}

// zoneIncludeRefused is an $INCLUDE of a file outside the directory of the
// file that names it. It says where the includer's directory is, never what
// the refused path was: the includer may itself be an included file.
type zoneIncludeRefused struct {
	dir  string // the including file's directory, for display
	link bool   // the path is inside, but a symbolic link leads out
}

func (e *zoneIncludeRefused) Error() string {
	how := "it names a file outside"
	if e.link {
		how = "a symbolic link in its path leads outside"
	}
	return fmt.Sprintf("$INCLUDE refused: %s the directory of the including file (%s); a zone file may only include files in its own directory or below it, so that a zone file cannot make emailauth read (and show in an error) any other file: copy the file next to the zone file", how, e.dir)
}

func (e *zoneIncludeRefused) Unwrap() error { return ErrZoneIncludeOutside }

// Open implements fs.FS. The file must lie in the directory of the file
// being read (the one whose $INCLUDE this is) or below it, once symbolic
// links are resolved; it is opened through an os.Root of that directory, so
// that a link changed meanwhile cannot lead out either.
func (f *zoneIncludeFS) Open(name string) (fs.File, error) {
	p := "/" + strings.TrimPrefix(name, "/")
	for _, s := range f.stack {
		if s == p {
			var chain []string
			for _, t := range f.stack {
				chain = append(chain, f.display(t))
			}
			return nil, &zoneIncludeLoopError{chain: append(chain, f.display(p))}
		}
	}
	osPath := zoneOSPath(p)
	dir := filepath.Dir(zoneOSPath(f.stack[len(f.stack)-1]))
	refused := &zoneIncludeRefused{dir: f.display(filepath.ToSlash(dir))}
	if refused.dir == "" {
		refused.dir = "."
	}
	if _, ok := zoneBelow(dir, osPath); !ok {
		return nil, refused
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: zoneUnwrapPathError(err)}
	}
	realPath, err := filepath.EvalSymlinks(osPath)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: zoneUnwrapPathError(err)}
	}
	rel, ok := zoneBelow(realDir, realPath)
	if !ok {
		refused.link = true
		return nil, refused
	}
	root, err := os.OpenRoot(realDir)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: zoneUnwrapPathError(err)}
	}
	defer root.Close()
	// Stat before opening: opening a pipe would wait for a writer.
	fi, err := root.Stat(rel)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: zoneUnwrapPathError(err)}
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: errors.New("is a directory, not a zone file")}
	}
	if !fi.Mode().IsRegular() {
		// A device or a pipe could be endless (/dev/zero) or wait forever.
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: errors.New("is not a regular file")}
	}
	fh, err := root.Open(rel)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: zoneUnwrapPathError(err)}
	}
	defer fh.Close()
	if fi, err = fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: errors.New("is not a regular file")}
	}
	data, err := zoneReadAll(fh, f.maxSize)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: osPath, Err: err}
	}
	f.stack = append(f.stack, p)
	f.shown = append(f.shown, f.display(p))
	if _, ok := f.texts[f.display(p)]; !ok {
		f.texts[f.display(p)] = data
	}
	f.opened = append(f.opened, p)
	f.included = append(f.included, f.display(p))
	f.scanOrigins(data, "")
	return &zoneIncludedFile{Reader: bytes.NewReader(data), fs: f, info: fi}, nil
}

// zoneBelow returns path relative to dir when it lies in dir or below it.
func zoneBelow(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return "", false
	}
	return rel, true
}

type zoneIncludedFile struct {
	*bytes.Reader
	fs     *zoneIncludeFS
	info   fs.FileInfo
	closed bool
}

func (f *zoneIncludedFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *zoneIncludedFile) Close() error {
	if !f.closed && len(f.fs.stack) > 1 {
		f.fs.stack = f.fs.stack[:len(f.fs.stack)-1]
		f.fs.shown = f.fs.shown[:len(f.fs.shown)-1]
	}
	f.closed = true
	return nil
}

// scanOrigins records the $ORIGIN directives of a file. Relative ones are
// taken relative to the previous origin of the file.
func (f *zoneIncludeFS) scanOrigins(data []byte, origin string) {
	cur := ""
	if origin != "" {
		cur = mdns.Fqdn(origin)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || line[0] != '$' {
			continue
		}
		var o string
		include := false
		switch {
		case strings.EqualFold(fields[0], "$ORIGIN"):
			o = fields[1]
		case strings.EqualFold(fields[0], "$INCLUDE") && len(fields) >= 3:
			// "$INCLUDE file origin": the included records are relative to
			// that origin, which does not outlive the include.
			o, include = fields[2], true
		default:
			continue
		}
		if !mdns.IsFqdn(o) {
			if cur == "" {
				continue
			}
			if cur == "." {
				o += "."
			} else {
				o += "." + cur
			}
		}
		if _, ok := mdns.IsDomainName(o); !ok {
			continue
		}
		if !include {
			cur = o
		}
		f.origins = zoneAppendNew(f.origins, CanonicalName(o))
	}
}

// zoneError turns the ZoneParser's error into a *ZoneError. miekg's
// ParseError only exposes its text, "FILE: dns: MESSAGE: "TOKEN" at line:
// L:C", so that is taken apart.
func (f *zoneIncludeFS) zoneError(err error) error {
	var pe *mdns.ParseError
	if !errors.As(err, &pe) {
		return &ZoneError{File: f.topDisplay, Err: err}
	}
	s := pe.Error()
	file := f.topDisplay
	// The file prefix is one the parser was given: the top file or an
	// included one.
	cands := append([]string{f.topAbs}, f.opened...)
	best := ""
	for _, c := range cands {
		for _, form := range []string{c, strings.TrimPrefix(c, "/")} {
			if strings.HasPrefix(s, form+": dns: ") && len(form) > len(best) {
				best = form
			}
		}
	}
	named := true
	if best != "" {
		file = f.display(best)
		s = s[len(best)+2:]
		named = best == f.topAbs || best == strings.TrimPrefix(f.topAbs, "/")
	}
	s = strings.TrimPrefix(s, "dns: ")
	line, col := 0, 0
	if i := strings.LastIndex(s, " at line: "); i >= 0 {
		lc := s[i+len(" at line: "):]
		s = s[:i]
		if l, c, ok := strings.Cut(lc, ":"); ok {
			line, _ = strconv.Atoi(l)
			col, _ = strconv.Atoi(c)
		}
	}
	msg, token := s, ""
	if i := strings.LastIndex(s, `: "`); i >= 0 {
		msg = s[:i]
		if t, err := strconv.Unquote(s[i+2:]); err == nil {
			token = t
		}
	}

	var loop *zoneIncludeLoopError
	var refused *zoneIncludeRefused
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &loop):
		msg = loop.Error()
	case errors.As(err, &refused):
		msg = refused.Error()
	case errors.As(err, &pathErr) && named:
		msg = fmt.Sprintf("cannot $INCLUDE %q (%s): %v", token, f.display(filepath.ToSlash(pathErr.Path)), pathErr.Err)
	case errors.As(err, &pathErr):
		msg = fmt.Sprintf("cannot $INCLUDE the file named at column %d (%s): %v", col, f.display(filepath.ToSlash(pathErr.Path)), pathErr.Err)
	case msg == "too deeply nested $INCLUDE":
		msg = "$INCLUDE nested too deeply (more than 7 files)"
	default:
		msg = zoneFriendly(strings.ReplaceAll(msg, "dns: ", ""), token, col, !named)
	}
	var cause error = pe
	if !named {
		// miekg's error quotes the token: keep only what it wraps (the
		// error of an $INCLUDE, which names files, not content).
		cause = errors.Unwrap(pe)
	}
	return &ZoneError{File: file, Line: line, Column: col, Err: &zoneParseError{msg: msg, cause: cause}}
}

// zoneFriendly rewrites miekg's message about token into one for people
// who write zone files. With hide, the token is not shown (it comes from a
// file the user did not name), only its column.
func zoneFriendly(msg, token string, col int, hide bool) string {
	relative := zoneRelativeNameMsg(msg) && (token == "@" || zoneRelativeName(token))
	switch token {
	case "unbalanced brace":
		return `unbalanced parentheses: a "(" is not closed`
	case "extra closing brace":
		return `a ")" closes no "("`
	case "unknown RR type", "unknown class":
		return strings.Replace(token, "RR type", "record type", 1)
	}
	quoted := " " + strconv.Quote(token)
	if hide {
		quoted = fmt.Sprintf(" at column %d", col)
	}
	var out string
	switch {
	case msg == "unknown RR type":
		out = "unknown record type" + quoted
	case strings.HasPrefix(msg, "expecting $TTL value") && hide:
		out = "$TTL needs a time such as 300 or 1h30m" + quoted
	case strings.HasPrefix(msg, "expecting $TTL value"):
		out = "$TTL needs a time such as 300 or 1h30m, not" + quoted
	case msg == "not a TTL":
		out = "bad TTL" + quoted
	case msg == "bad owner name":
		out = "bad owner name" + quoted
	case (strings.HasPrefix(msg, "bad TXT ") || strings.HasPrefix(msg, "bad SPF ")) && (token == " " || token == "\"" || token == "\n" || token == ""):
		out = "bad " + msg[4:7] + ` record data: a quote is not closed, or text lies outside quotes (write a " inside a string as \")`
	case strings.HasPrefix(msg, "bad ") && strings.Count(msg, " ") == 2:
		typ := strings.Fields(msg)[1]
		if token == "\n" || token == "" {
			out = "bad " + typ + " record data: a field is missing"
		} else {
			out = "bad " + typ + " record data" + quoted
		}
	case token == "\n":
		out = msg + " at end of line"
	case token != "" && hide:
		out = msg + quoted
	case token != "":
		out = msg + ":" + quoted
	default:
		out = msg
	}
	if relative {
		out += `; a name without a trailing dot is relative to $ORIGIN and none is set: add a line such as "$ORIGIN example.com." before it, or end the name with a dot`
	}
	return out
}

func zoneRelativeNameMsg(msg string) bool {
	switch msg {
	case "bad owner name", "bad MX Mx", "bad NS Ns", "bad PTR Ptr", "bad SOA Ns", "bad SOA Mbox", "bad CNAME Target", "bad SRV Target", "bad DNAME Target":
		return true
	}
	return false
}

func zoneRelativeName(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n") {
		return false
	}
	_, ok := mdns.IsDomainName(s)
	return ok && !mdns.IsFqdn(s)
}

// zoneParseError is the cleaned-up text of a miekg ParseError, which it
// wraps (and which wraps the os error of a failed $INCLUDE).
type zoneParseError struct {
	msg   string
	cause error
}

func (e *zoneParseError) Error() string { return e.msg }
func (e *zoneParseError) Unwrap() error { return e.cause }
