// Package dns is the only way emailauth resolves a name.
//
// Everything that asks the DNS (SPF evaluation, DKIM key lookup, DMARC
// discovery, posture checks) goes through the Resolver interface. Answers are
// typed and keep what email authentication needs: the RCODE (NXDOMAIN versus
// NODATA versus SERVFAIL), the AD bit, TTLs, the CNAME chain that was
// followed, and TXT records both as the joined string and as the
// character-strings that were sent.
//
// Implementations:
//   - Client: a recursive-resolver client built on miekg/dns.
//   - Zone: an authoritative view of BIND-format zone files.
//   - Chain: asks zones first and the network for everything else.
//   - Cache: a per-run cache with in-flight deduplication and counters.
//
// The dnstest subpackage holds an in-process DNS server for tests.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

// Query types, re-exported so callers need not import miekg/dns.
const (
	TypeA      = mdns.TypeA
	TypeAAAA   = mdns.TypeAAAA
	TypeCNAME  = mdns.TypeCNAME
	TypeMX     = mdns.TypeMX
	TypeNS     = mdns.TypeNS
	TypePTR    = mdns.TypePTR
	TypeSOA    = mdns.TypeSOA
	TypeTXT    = mdns.TypeTXT
	TypeSPF    = mdns.TypeSPF
	TypeSRV    = mdns.TypeSRV
	TypeCAA    = mdns.TypeCAA
	TypeDS     = mdns.TypeDS
	TypeDNSKEY = mdns.TypeDNSKEY
	TypeTLSA   = mdns.TypeTLSA
)

// Response codes, re-exported.
const (
	RcodeSuccess  = mdns.RcodeSuccess
	RcodeFormErr  = mdns.RcodeFormatError
	RcodeServFail = mdns.RcodeServerFailure
	RcodeNXDomain = mdns.RcodeNameError
	RcodeNotImp   = mdns.RcodeNotImplemented
	RcodeRefused  = mdns.RcodeRefused
)

// TypeString returns the mnemonic of a query type ("TXT", "TYPE65534").
func TypeString(t uint16) string {
	if s, ok := mdns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

// ParseType parses a query type mnemonic ("txt", "MX", "TYPE99").
func ParseType(s string) (uint16, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if t, ok := mdns.StringToType[u]; ok {
		return t, nil
	}
	var n uint16
	if _, err := fmt.Sscanf(u, "TYPE%d", &n); err == nil && n > 0 {
		return n, nil
	}
	return 0, fmt.Errorf("dns: unknown record type %q", s)
}

// RcodeString returns the mnemonic of an RCODE ("NXDOMAIN").
func RcodeString(rc int) string {
	if s, ok := mdns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// Resolver answers one question. It is safe for concurrent use.
//
// The error is nil whenever a DNS answer was obtained, and that includes
// NXDOMAIN and NODATA: those are answers, told apart by Answer.RCode and
// Answer.Records. The error is non-nil when no usable answer was obtained:
// a timeout, SERVFAIL, REFUSED, a network failure, a malformed name, a
// broken CNAME chain. Such an error is an *Error (a *NameError for a
// malformed name); see IsTemporary and IsTimeout. An Answer may be returned
// beside an error (for SERVFAIL, to show the RCODE and the server).
//
// A CNAME chain that comes back to a name already in it, or that has more
// than MaxCNAMEs aliases, is an *Error wrapping ErrCNAMELoop or
// ErrCNAMEChainTooLong (see IsCNAMEChainError). It is not temporary (the
// zone is misconfigured, and asking again gives the same chain) and it is
// not NXDOMAIN or NODATA either: the name exists, but nothing can be found
// at the end of its chain. The Answer beside the error has RCode SERVFAIL,
// no records, and the chain in CNAMEs up to and including the alias that
// closed the loop or went past the limit. Every implementation in this
// package (Zone, Chain, Cache, Client, dnstest) reports such a chain this
// way; a Client can only recognise it when the chain is in the answer
// section, and a recursive resolver that detects the loop itself answers
// SERVFAIL, which stays a temporary error.
//
// An Answer is flagged when what it shows breaks the rules of the DNS in a
// way a check should report (see Answer.CNAMEAndOtherData), and when it was
// not asked of anyone (see Answer.NotCovered).
type Resolver interface {
	Query(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// ResolverFunc adapts a function to the Resolver interface.
type ResolverFunc func(ctx context.Context, name string, qtype uint16) (*Answer, error)

// Query calls f.
func (f ResolverFunc) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	return f(ctx, name, qtype)
}

// Answer is the outcome of one question.
type Answer struct {
	// Name is the name asked, in canonical form: lower case, no trailing dot.
	Name string `json:"name"`
	// Type is the query type.
	Type uint16 `json:"-"`
	// RCode is the response code: RcodeSuccess, RcodeNXDomain, ...
	RCode int `json:"-"`
	// Authenticated is the AD bit: a validating resolver checked the answer
	// with DNSSEC. Zone files never set it.
	Authenticated bool `json:"authenticated"`
	// CNAMEs is the chain followed from Name, in order: each entry is the
	// target of the previous alias (so the last one owns the Records).
	CNAMEs []string `json:"cnames,omitempty"`
	// Records are the answer records of the asked type, at the end of the
	// CNAME chain. Empty for NXDOMAIN and NODATA.
	Records []Record `json:"records"`
	// Source says who answered: "udp://192.0.2.53:53", "tcp://...",
	// "zone:testdata/zones/example.com.zone".
	Source string `json:"source"`
	// CNAMEAndOtherData lists the names of the chain (Name and the CNAMEs)
	// seen holding a CNAME record beside records of another type, which
	// RFC 1034 §3.6.2 and RFC 2181 §10.1 forbid. Such a zone is broken, and
	// resolvers disagree on what it answers: a check should report it as a
	// misconfiguration whatever the records say. Zone files with it are
	// refused when loaded; a live answer shows it when its answer section
	// holds both at one owner name.
	CNAMEAndOtherData []string `json:"cname_and_other_data,omitempty"`
	// NotCovered is true when the answer was not asked of anyone: a Zone
	// (or a Chain without a next resolver, offline) answered for a name
	// that no zone file it holds is authoritative for. Its NXDOMAIN or
	// NODATA is then an assumption, not a fact about the DNS: a check
	// should say "not checked offline" rather than "does not exist".
	NotCovered bool `json:"not_covered,omitempty"`
}

// Uncovered reports whether r answers for name from nothing at all: offline,
// no zone file covers it (Answer.NotCovered), so nothing about it can be
// known. Online, or for a covered name, it is false.
func Uncovered(ctx context.Context, r Resolver, name string) bool {
	a, err := r.Query(ctx, name, TypeTXT)
	return err == nil && a != nil && a.NotCovered
}

// NXDomain reports whether the name does not exist (at the end of any CNAME
// chain).
func (a *Answer) NXDomain() bool { return a != nil && a.RCode == RcodeNXDomain }

// NoData reports whether the name exists but holds no record of the type.
func (a *Answer) NoData() bool {
	return a != nil && a.RCode == RcodeSuccess && len(a.Records) == 0
}

// Void reports whether the answer is NXDOMAIN or NODATA: what RFC 7208 §4.6.4
// calls a void lookup.
func (a *Answer) Void() bool { return a.NXDomain() || a.NoData() }

// TXT returns each TXT record's character-strings joined with no separator,
// as SPF, DKIM and DMARC read them (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
func (a *Answer) TXT() []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, r := range a.Records {
		if r.Type == TypeTXT || r.Type == TypeSPF {
			out = append(out, strings.Join(r.Strings, ""))
		}
	}
	return out
}

// IPs returns the addresses of the A and AAAA records in the answer.
func (a *Answer) IPs() []netip.Addr {
	if a == nil {
		return nil
	}
	var out []netip.Addr
	for _, r := range a.Records {
		if r.IP.IsValid() {
			out = append(out, r.IP)
		}
	}
	return out
}

// MinTTL returns the smallest TTL among the records, or 0 if there are none.
func (a *Answer) MinTTL() uint32 {
	if a == nil || len(a.Records) == 0 {
		return 0
	}
	m := a.Records[0].TTL
	for _, r := range a.Records[1:] {
		if r.TTL < m {
			m = r.TTL
		}
	}
	return m
}

// Record is one resource record of an answer, with the fields that email
// authentication reads already decoded.
type Record struct {
	// Name is the owner name, canonical (lower case, no trailing dot).
	Name string `json:"name"`
	Type uint16 `json:"-"`
	TTL  uint32 `json:"ttl"`
	// Data is the record data in zone-file presentation form.
	Data string `json:"data"`

	// Strings holds a TXT (or type-99 SPF) record's character-strings as sent.
	Strings []string `json:"strings,omitempty"`
	// IP is the address of an A or AAAA record.
	IP netip.Addr `json:"-"`
	// Target is the host of an MX, CNAME, NS, PTR or SRV record, canonical
	// ("." stays "." for a null MX).
	Target string `json:"target,omitempty"`
	// Preference is an MX record's preference.
	Preference uint16 `json:"preference,omitempty"`

	// RR is the underlying miekg/dns record, for types not decoded above.
	RR mdns.RR `json:"-"`
}

// FromRR decodes a miekg/dns record into a Record. TXT character-strings
// are decoded from miekg's presentation form (\" and \DDD escapes) into the
// octets as sent.
func FromRR(rr mdns.RR) Record {
	h := rr.Header()
	r := Record{
		Name: CanonicalName(h.Name),
		Type: h.Rrtype,
		TTL:  h.Ttl,
		RR:   rr,
	}
	switch v := rr.(type) {
	case *mdns.TXT:
		r.Strings = unescapeStrings(v.Txt)
		r.Data = quoteStrings(r.Strings)
	case *mdns.SPF:
		r.Strings = unescapeStrings(v.Txt)
		r.Data = quoteStrings(r.Strings)
	case *mdns.A:
		if ip, ok := netip.AddrFromSlice(v.A.To4()); ok {
			r.IP = ip
			r.Data = ip.String()
		}
	case *mdns.AAAA:
		if ip, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
			r.IP = ip
			r.Data = ip.String()
		}
	case *mdns.MX:
		r.Target = canonicalTarget(v.Mx)
		r.Preference = v.Preference
		r.Data = strconv.Itoa(int(v.Preference)) + " " + v.Mx
	case *mdns.CNAME:
		r.Target = canonicalTarget(v.Target)
		r.Data = v.Target
	case *mdns.NS:
		r.Target = canonicalTarget(v.Ns)
		r.Data = v.Ns
	case *mdns.PTR:
		r.Target = canonicalTarget(v.Ptr)
		r.Data = v.Ptr
	case *mdns.SRV:
		r.Target = canonicalTarget(v.Target)
		r.Preference = v.Priority
	}
	if r.Data == "" {
		// Other types: the presentation form after the header.
		full, hs := rr.String(), h.String()
		r.Data = strings.TrimPrefix(full, hs)
	}
	return r
}

// quoteStrings writes character-strings as a zone file does: each quoted
// (EscapeString), separated by a space.
func quoteStrings(in []string) string {
	var b strings.Builder
	n := 0
	for _, s := range in {
		n += len(s) + 3
	}
	b.Grow(n)
	for i, s := range in {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(EscapeString(s))
		b.WriteByte('"')
	}
	return b.String()
}

// EscapeString writes the octets of a character-string in zone-file
// presentation form (without the quotes): " and \ escaped by a backslash,
// octets outside printable ASCII as \DDD. It is the form miekg/dns expects in
// a TXT record's Txt field.
func EscapeString(s string) string {
	clean := true
	for j := 0; j < len(s); j++ {
		if c := s[j]; c == '"' || c == '\\' || c < ' ' || c > '~' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for j := 0; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescapeStrings(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = unescape(s)
	}
	return out
}

// unescape decodes the escapes of a character-string in presentation form:
// \DDD (a decimal octet) and \X (X itself).
func unescape(s string) string { return decodeEscapes(s, false) }

// decodeEscapes decodes \DDD and \X; with keepDots, an escaped dot or
// backslash stays escaped (in a name, decoding it would change the labels).
func decodeEscapes(s string, keepDots bool) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			switch {
			case v > 255:
				b = append(b, s[i+1]) // not an octet: \X with X the first digit
				i++
				continue
			case keepDots && (v == '.' || v == '\\'):
				b = append(b, s[i:i+4]...)
			default:
				b = append(b, byte(v))
			}
			i += 3
			continue
		}
		if keepDots && (s[i+1] == '.' || s[i+1] == '\\') {
			b = append(b, c)
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func canonicalTarget(s string) string {
	if s == "." {
		return "."
	}
	return CanonicalName(s)
}

// CanonicalName lower-cases a name, removes its trailing dot and decodes
// presentation-form escapes (miekg writes a space in a label as \032): names
// from the wire and names as asked then compare equal. An escaped dot (\.
// or \046) stays escaped, since decoding it would change the labels. It does
// not validate; see CheckName.
func CanonicalName(name string) string {
	name = strings.TrimSuffix(name, ".")
	if strings.IndexByte(name, '\\') >= 0 {
		name = decodeEscapes(name, true)
	}
	// Fast path: most names are already lower case ASCII.
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// CheckName reports whether name is a valid domain name as a person would
// type it: CheckQueryName's rules, and no space or control character (which
// in a name on the command line or in a list is a typo). It does not impose
// host-name rules (labels such as "_dmarc" are valid). The error names the
// input.
func CheckName(name string) error {
	if err := CheckQueryName(name); err != nil {
		return err
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c == 0x7f {
			return &NameError{Name: name, Reason: "the name contains a space or a control character"}
		}
	}
	return nil
}

// CheckQueryName reports whether name can be asked: at most 253 octets (255
// in wire form), labels of 1 to 63 octets, no empty label except the root.
// A label may hold any octet (RFC 2181 §11): SPF macros can produce names
// with spaces, and resolvers must ask them. The error names the input.
func CheckQueryName(name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return &NameError{Name: name, Reason: "the name is empty"}
	}
	if len(n) > 253 {
		return &NameError{Name: name, Reason: fmt.Sprintf("the name is %d octets long; a domain name has at most 253", len(n))}
	}
	for rest := n; ; {
		label := rest
		dot := strings.IndexByte(rest, '.')
		if dot >= 0 {
			label, rest = rest[:dot], rest[dot+1:]
		}
		switch {
		case label == "":
			return &NameError{Name: name, Reason: "the name has an empty label (two dots in a row, or a leading dot)"}
		case len(label) > 63:
			return &NameError{Name: name, Reason: fmt.Sprintf("the label %q is %d octets long; a label has at most 63", abbreviate(label), len(label))}
		}
		if dot < 0 {
			return nil
		}
	}
}

func abbreviate(s string) string {
	if len(s) > 20 {
		return s[:17] + "..."
	}
	return s
}

// NameError is returned for a name that cannot be asked: the input is at
// fault, not the DNS.
type NameError struct {
	Name   string
	Reason string
	hint   string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("dns: invalid domain name %q: %s", e.Name, e.Reason)
}

// Hint says how to fix the name, when that is known.
func (e *NameError) Hint() string { return e.hint }

// ErrTimeout is wrapped by every *Error caused by a query timing out.
var ErrTimeout = errors.New("timed out")

// MaxCNAMEs is the longest CNAME chain a resolver of this package follows,
// as recursive resolvers bound theirs: a chain of more aliases is an error
// wrapping ErrCNAMEChainTooLong.
const MaxCNAMEs = 16

// ErrCNAMELoop is wrapped by the *Error of a query whose CNAME chain comes
// back to a name already in it (see Resolver).
var ErrCNAMELoop = errors.New("CNAME loop")

// ErrCNAMEChainTooLong is wrapped by the *Error of a query whose CNAME chain
// has more than MaxCNAMEs aliases (see Resolver).
var ErrCNAMEChainTooLong = errors.New("CNAME chain too long")

// IsCNAMEChainError reports whether err comes from a CNAME loop or a chain
// of more than MaxCNAMEs aliases: a misconfiguration of the zone, neither
// temporary nor an answer.
func IsCNAMEChainError(err error) bool {
	return errors.Is(err, ErrCNAMELoop) || errors.Is(err, ErrCNAMEChainTooLong)
}

// cnameLoopError returns the error of a chain from name that came back to a
// name already in it: chain holds the aliases followed, the repeated one
// last.
func cnameLoopError(name string, qtype uint16, server string, chain []string) *Error {
	return &Error{Name: name, Type: qtype, Server: server, RCode: -1,
		Err: fmt.Errorf("%w: %s", ErrCNAMELoop, strings.Join(append([]string{name}, chain...), " -> "))}
}

// cnameLongError returns the error of a chain from name of more than
// MaxCNAMEs aliases.
func cnameLongError(name string, qtype uint16, server string) *Error {
	return &Error{Name: name, Type: qtype, Server: server, RCode: -1,
		Err: fmt.Errorf("%w: more than %d aliases", ErrCNAMEChainTooLong, MaxCNAMEs)}
}

// Error is returned when no usable answer was obtained.
type Error struct {
	Name   string // the name asked, canonical
	Type   uint16 // the query type
	Server string // who failed to answer, when known
	// RCode is the response code when a server answered with one that is not
	// an answer (SERVFAIL, REFUSED, FORMERR, NOTIMP); -1 when no response
	// arrived, or when the response could not be used (a CNAME loop).
	RCode int
	Err   error // the cause: ErrTimeout, a network error, ...
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dns: %s %s", e.Name, TypeString(e.Type))
	if e.RCode >= 0 {
		fmt.Fprintf(&b, ": %s", RcodeString(e.RCode))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Server != "" {
		fmt.Fprintf(&b, " (%s)", e.Server)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether asking again later might succeed. Every failure
// to get an answer counts as temporary for SPF, DKIM and DMARC (temperror),
// except the server's refusal to understand the question (FORMERR, NOTIMP)
// and a CNAME loop or over-long chain (a misconfiguration; see Resolver).
func (e *Error) Temporary() bool {
	if IsCNAMEChainError(e.Err) {
		return false
	}
	return e.RCode != RcodeFormErr && e.RCode != RcodeNotImp
}

// IsTimeout reports whether err comes from a query that timed out.
func IsTimeout(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// IsTemporary reports whether err is a DNS failure that may succeed later:
// a timeout, SERVFAIL, REFUSED, or a network error. A *NameError is not.
func IsTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return IsTimeout(err)
}

// Stats counts what a resolver did during a run. Resolvers that wrap others
// (Cache, Chain) add the counters of what they wrap.
type Stats struct {
	Questions   int64 `json:"questions"`           // questions asked of the cache
	CacheHits   int64 `json:"cache_hits"`          // answered from the cache
	Shared      int64 `json:"shared"`              // answered by an identical query already in flight
	Sent        int64 `json:"sent"`                // queries sent on the network (every attempt)
	TCP         int64 `json:"tcp"`                 // of which over TCP
	Truncated   int64 `json:"truncated"`           // truncated UDP answers retried over TCP
	Timeouts    int64 `json:"timeouts"`            // attempts that timed out
	Failures    int64 `json:"failures"`            // SERVFAIL, REFUSED, network errors
	ZoneAnswers int64 `json:"zone_answers"`        // answered from zone files
	Evictions   int64 `json:"evictions,omitempty"` // outcomes the cache dropped to stay within its bound
}

// Add returns the sum of s and o.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Questions: s.Questions + o.Questions, CacheHits: s.CacheHits + o.CacheHits, Shared: s.Shared + o.Shared,
		Sent: s.Sent + o.Sent, TCP: s.TCP + o.TCP, Truncated: s.Truncated + o.Truncated,
		Timeouts: s.Timeouts + o.Timeouts, Failures: s.Failures + o.Failures, ZoneAnswers: s.ZoneAnswers + o.ZoneAnswers,
		Evictions: s.Evictions + o.Evictions,
	}
}

func (s Stats) String() string {
	if s.Evictions > 0 {
		return fmt.Sprintf("%s, %d evicted from the cache", s.string(), s.Evictions)
	}
	return s.string()
}

func (s Stats) string() string {
	return fmt.Sprintf("%d questions, %d cache hits, %d shared in flight, %d zone answers, %d queries sent (%d TCP, %d truncated), %d timeouts, %d failures",
		s.Questions, s.CacheHits, s.Shared, s.ZoneAnswers, s.Sent, s.TCP, s.Truncated, s.Timeouts, s.Failures)
}

// StatsReporter is a resolver that counts what it does.
type StatsReporter interface {
	Stats() Stats
}
