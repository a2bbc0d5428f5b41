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

// zoneMaxCNAMEs is the longest CNAME chain a Zone follows before it gives up
// with SERVFAIL, as recursive resolvers do.
const zoneMaxCNAMEs = 16

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
// holds. Asked about any other name, a Zone on its own answers NXDOMAIN: that
// is offline mode, where the zone files are the whole DNS. Use NewChain to
// send those names to the network instead.
//
// The details of the answers:
//   - Names are compared case-insensitively and stored in lower case (owner
//     names and the host names in CNAME, MX, NS, PTR and SRV data); records
//     are answered in file order, TTLs as written. Identical records are
//     kept once.
//   - The ancestors of every name exist, up to its top-level domain, so
//     they answer NODATA, not NXDOMAIN (RFC 8020: NXDOMAIN means nothing
//     exists below).
//   - A CNAME at the name is followed whatever else the name holds (RFC 1034
//     §4.3.2); a CNAME loop or a chain of more than 16 aliases is a SERVFAIL
//     *Error, as from a recursive resolver. A query of type CNAME returns the
//     CNAME; one of type ANY returns every record at the name.
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
// missing or unreadable file, an $INCLUDE loop, a record outside its zone. Line is 0
// when the error concerns the file as a whole.
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

// LoadZoneFiles reads BIND-format zone files (RFC 1035 §5 master files, with
// $ORIGIN, $TTL, $INCLUDE and $GENERATE) and merges them into one Zone.
//
// A file starts with no origin: a name without a trailing dot (or "@")
// before the first $ORIGIN line is an error, since there is nothing it could
// be relative to. $INCLUDE paths are relative to the directory of the file
// that includes them (as BIND does with its directory option); only regular
// files are included, and an $INCLUDE loop is an error. A record without a
// TTL takes the $TTL in force, else the last TTL stated (RFC 1035 §5.1), else
// 3600. Character-strings are decoded (\" and \DDD); one longer than 255
// octets is split into 255-octet strings, as it would have to be on the wire.
// In a file with an SOA record, a record outside the zones of its SOA records
// is an error (BIND ignores such data; here it would silently be unreachable
// when a Chain sends its name to the network). Two files for the same apex
// are merged.
//
// Every error is a *ZoneError naming the file and, for a syntax error, the
// line; for a missing file it wraps the os error, so errors.Is(err,
// fs.ErrNotExist) holds.
func LoadZoneFiles(paths ...string) (*Zone, error) {
	z := &Zone{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &ZoneError{File: p, Err: zoneUnwrapPathError(err)}
		}
		if fi.IsDir() {
			return nil, &ZoneError{File: p, Err: errors.New("is a directory, not a zone file")}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, &ZoneError{File: p, Err: zoneUnwrapPathError(err)}
		}
		u, err := zoneParse(data, p, "")
		if err != nil {
			return nil, err
		}
		z.Merge(u)
	}
	return z, nil
}

// ParseZone reads one zone in BIND format from r. The file name is used in
// errors, in Answer.Source and to resolve relative $INCLUDE paths; origin,
// when not empty, is the initial origin, as if the text began with an
// $ORIGIN line.
func ParseZone(r io.Reader, file, origin string) (*Zone, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &ZoneError{File: file, Err: err}
	}
	return zoneParse(data, file, origin)
}

// Merge adds the records and apexes of other to z. Identical records are
// kept once; records of both at one name are kept in order, z's first.
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
	return a, err
}

// resolve answers n (canonical) and follows CNAMEs within the zone. When
// leave reports true for a CNAME target, resolution stops there and the
// target is returned: the caller continues elsewhere.
func (z *Zone) resolve(n string, qtype uint16, leave func(string) bool) (*Answer, string, error) {
	a := &Answer{Name: n, Type: qtype, Records: []Record{}}
	cur := n
	for {
		rrs, cname, exists, src := z.lookup(cur, qtype)
		a.Source = src
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
			chain := append(append([]string{n}, a.CNAMEs...), cname)
			return a, "", &Error{Name: n, Type: qtype, Server: src, RCode: RcodeServFail,
				Err: fmt.Errorf("CNAME loop: %s", strings.Join(chain, " -> "))}
		}
		if len(a.CNAMEs) >= zoneMaxCNAMEs {
			a.RCode = RcodeServFail
			return a, "", &Error{Name: n, Type: qtype, Server: src, RCode: RcodeServFail,
				Err: fmt.Errorf("CNAME chain longer than %d aliases", zoneMaxCNAMEs)}
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
// NXDOMAIN). src is the Answer.Source.
func (z *Zone) lookup(name string, qtype uint16) (rrs []Record, cname string, exists bool, src string) {
	if node := z.nodes[name]; node != nil {
		rrs, cname, src = node.answer(name, qtype, false)
		return rrs, cname, true, src
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
			return nil, "", false, z.nxSource(name, node.file)
		}
		rrs, cname, src = w.answer(name, qtype, true)
		return rrs, cname, true, src
	}
	return nil, "", false, z.nxSource(name, "")
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

// zoneParse parses one top-level zone file (and what it includes) into a
// Zone of its own.
func zoneParse(data []byte, file, origin string) (z *Zone, err error) {
	// The parser is miekg's; should it ever panic on some input, that is a
	// bad zone file to the user, not a crash.
	defer func() {
		if p := recover(); p != nil {
			z, err = nil, &ZoneError{File: file, Err: fmt.Errorf("the zone file parser failed (%v); please report this with the file", p)}
		}
	}()
	if origin != "" {
		if _, ok := mdns.IsDomainName(origin); !ok || strings.ContainsAny(origin, " \t\n") {
			return nil, &ZoneError{File: file, Err: fmt.Errorf("bad origin %q: want a domain name such as example.com", origin)}
		}
	}
	inc := newZoneIncludeFS(file)
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

	var items []zoneItem
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		items = append(items, zoneItem{rr, inc.current()})
	}
	if err := zp.Err(); err != nil {
		return nil, inc.zoneError(err)
	}

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
				return nil, &ZoneError{File: it.file, Line: zoneFindOwnerLine(inc.texts[it.file], n), Err: fmt.Errorf("the record %s lies outside the zone (its SOA is at %s): move it to a zone file of its own or remove it",
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
	return z, nil
}

// zoneFindOwnerLine returns the line of text where a record of the owner
// name (canonical) is written in full, or 0. The parser does not tell the
// line of a record, and this is only for an error message.
func zoneFindOwnerLine(text []byte, owner string) int {
	for i, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && line[0] != ' ' && line[0] != '\t' && CanonicalName(f[0]) == owner && strings.HasSuffix(f[0], ".") {
			return i + 1
		}
	}
	return 0
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
	topAbs     string
	topDisplay string
	stack      []string          // absolute paths of the files being read, outermost first
	shown      []string          // their display names
	opened     []string          // absolute paths of the included files, in order
	included   []string          // display names of the included files, in order
	origins    []string          // absolute $ORIGIN names seen, canonical
	texts      map[string][]byte // the text of each file, by display name
}

func newZoneIncludeFS(file string) *zoneIncludeFS {
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
	return &zoneIncludeFS{topAbs: abs, topDisplay: file, stack: []string{abs}, shown: []string{file}, texts: map[string][]byte{}}
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

// Open implements fs.FS.
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
	fi, err := os.Stat(osPath)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: errors.New("is a directory, not a zone file")}
	}
	if !fi.Mode().IsRegular() {
		// A device or a pipe could be endless (/dev/zero) or wait forever.
		return nil, &fs.PathError{Op: "open", Path: osPath, Err: errors.New("is not a regular file")}
	}
	data, err := os.ReadFile(osPath)
	if err != nil {
		return nil, err
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
	if best != "" {
		file = f.display(best)
		s = s[len(best)+2:]
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
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &loop):
		msg = loop.Error()
	case errors.As(err, &pathErr):
		msg = fmt.Sprintf("cannot $INCLUDE %q (%s): %v", token, f.display(filepath.ToSlash(pathErr.Path)), pathErr.Err)
	case msg == "too deeply nested $INCLUDE":
		msg = "$INCLUDE nested too deeply (more than 7 files)"
	default:
		msg = zoneFriendly(strings.ReplaceAll(msg, "dns: ", ""), token)
	}
	return &ZoneError{File: file, Line: line, Column: col, Err: &zoneParseError{msg: msg, cause: pe}}
}

// zoneFriendly rewrites miekg's message about token into one for people
// who write zone files.
func zoneFriendly(msg, token string) string {
	relative := zoneRelativeNameMsg(msg) && (token == "@" || zoneRelativeName(token))
	switch token {
	case "unbalanced brace":
		return `unbalanced parentheses: a "(" is not closed`
	case "extra closing brace":
		return `a ")" closes no "("`
	case "unknown RR type", "unknown class":
		return strings.Replace(token, "RR type", "record type", 1)
	}
	quoted := strconv.Quote(token)
	var out string
	switch {
	case msg == "unknown RR type":
		out = "unknown record type " + quoted
	case strings.HasPrefix(msg, "expecting $TTL value"):
		out = "$TTL needs a time such as 300 or 1h30m, not " + quoted
	case msg == "not a TTL":
		out = "bad TTL " + quoted
	case msg == "bad owner name":
		out = "bad owner name " + quoted
	case (strings.HasPrefix(msg, "bad TXT ") || strings.HasPrefix(msg, "bad SPF ")) && (token == " " || token == "\"" || token == "\n" || token == ""):
		out = "bad " + msg[4:7] + ` record data: a quote is not closed, or text lies outside quotes (write a " inside a string as \")`
	case strings.HasPrefix(msg, "bad ") && strings.Count(msg, " ") == 2:
		typ := strings.Fields(msg)[1]
		if token == "\n" || token == "" {
			out = "bad " + typ + " record data: a field is missing"
		} else {
			out = "bad " + typ + " record data " + quoted
		}
	case token == "\n":
		out = msg + " at end of line"
	case token != "":
		out = msg + ": " + quoted
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
