package rotation

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/authoritative"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// The states of a selector's record on one name server.
const (
	RecordKey     = "key"     // a usable key record
	RecordRevoked = "revoked" // a key record with an empty p=
	RecordAbsent  = "absent"  // no TXT record (NXDOMAIN or NODATA)
	RecordBroken  = "broken"  // a record that is not a usable key record
	RecordUnknown = "unknown" // the server could not be asked
)

// RecordView is a selector's record as one name server serves it.
type RecordView struct {
	// Name is SELECTOR._domainkey.DOMAIN.
	Name  string `json:"name"`
	State string `json:"state"`
	// TTL is the record's TTL as the server serves it (0 when absent).
	TTL     uint32 `json:"ttl,omitempty"`
	KeyType string `json:"key_type,omitempty"`
	KeyBits int    `json:"key_bits,omitempty"`
	// Key identifies the public key (KeyID).
	Key    string   `json:"key,omitempty"`
	CNAMEs []string `json:"cnames,omitempty"`
	// Value is the record as served (records joined by " | " when there
	// are several), for a broken record; Problem says what is wrong, or
	// why the server could not be asked.
	Value   string `json:"value,omitempty"`
	Problem string `json:"problem,omitempty"`

	pub crypto.PublicKey
}

// Server is one name server of the zone and what it serves at both
// selectors.
type Server struct {
	authoritative.Server
	Current RecordView `json:"current"`
	Next    RecordView `json:"next"`
	// NegativeTTL is how long a resolver may cache "no such name" from
	// this server: the smaller of the SOA record's TTL and its MINIMUM
	// (RFC 2308 §5); 0 when the SOA could not be read.
	NegativeTTL uint32 `json:"negative_ttl,omitempty"`
}

// Label names the server for people: its host name, else its address.
func (s Server) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Address
}

// MessageCheck is the verification of a test message.
type MessageCheck struct {
	// File names the message.
	File string `json:"file"`
	// Signatures are the message's DKIM signatures with the domain in d=,
	// verified against the keys the name servers serve.
	Signatures []dkim.SignatureResult `json:"signatures"`
	// Others lists the other signatures, as "d=DOMAIN s=SELECTOR".
	Others []string `json:"others,omitempty"`
}

// Observation is what the DNS (each authoritative name server, asked
// directly) and a test message show about a rotation, now.
type Observation struct {
	Domain   string `json:"domain"`
	Zone     string `json:"zone,omitempty"`
	Selector string `json:"selector"`
	Next     string `json:"next"`
	// Servers are the zone's name servers (or those given).
	Servers []Server `json:"servers"`
	// Error says why the name servers could not be found;
	// ErrorTemporary whether that was a DNS failure (rather than a zone
	// without NS records).
	Error          string        `json:"error,omitempty"`
	ErrorTemporary bool          `json:"-"`
	Message        *MessageCheck `json:"message,omitempty"`
}

// ObserveOptions tune Observe.
type ObserveOptions struct {
	// Client asks the name servers (a default AuthClient when nil).
	Client *dns.AuthClient
	// NS tunes the lookup of the NS set; Servers, when set, are asked
	// instead of it.
	NS      dns.NSOptions
	Servers []string
	// Message, when set, is a test message signed by the domain's signer
	// (MessageName names it in reports).
	Message     io.Reader
	MessageName string
	// Now is the clock a signature's expiry (x=) is checked against
	// (time.Now when zero).
	Now time.Time
}

// ErrSameSelector is returned when the new selector is the current one.
// Rotating a key in place, under one selector, leaves verifiers with the
// old key cached for a TTL while the signer uses the new one: a rotation
// changes the selector.
var ErrSameSelector = errors.New("rotation: --next is the current selector; a rotation moves to a new selector, so that the old key and the new one are published side by side")

// MessageError is a test message that cannot be read or is not a message.
type MessageError struct {
	Name string
	Err  error
}

func (e *MessageError) Error() string {
	return fmt.Sprintf("rotation: the test message %s: %v", e.Name, e.Err)
}
func (e *MessageError) Unwrap() error { return e.Err }

// Observe asks each of domain's authoritative name servers directly (no
// resolver, no cache) for the records at selector and next, and the SOA
// record, and verifies the test message, if any, against the keys the
// servers serve. r finds the zone and its name servers, and answers names
// outside the zone (a CNAME-delegated selector's target). The error is
// non-nil only for bad input: a malformed domain or selector, the same
// selector twice, a message that cannot be read; DNS failures are in the
// observation.
func Observe(ctx context.Context, r dns.Resolver, domain, selector, next string, opts ObserveOptions) (*Observation, error) {
	domain = dns.CanonicalName(strings.TrimSpace(domain))
	if err := dns.CheckName(domain); err != nil {
		return nil, fmt.Errorf("rotation: %w", err)
	}
	selector = normSelector(selector)
	next = normSelector(next)
	for _, s := range []string{selector, next} {
		if err := dkimkey.CheckSelectorName(s, domain); err != nil {
			return nil, err
		}
	}
	if selector == next {
		return nil, ErrSameSelector
	}
	obs := &Observation{Domain: domain, Selector: selector, Next: next, Servers: []Server{}}
	client := opts.Client
	if client == nil {
		client = &dns.AuthClient{}
	}
	zone, servers, err := authoritative.Discover(ctx, r, domain, opts.NS, opts.Servers)
	obs.Zone = zone
	if err != nil {
		obs.Error = strings.TrimPrefix(err.Error(), "dns: ")
		obs.ErrorTemporary = dns.IsTemporary(err)
	} else {
		probed := authoritative.ProbeAll(ctx, client, servers, zone)
		obs.Servers = make([]Server, len(probed))
		var wg sync.WaitGroup
		for i, s := range probed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				obs.Servers[i] = observeServer(ctx, client, r, s, zone, domain, selector, next)
			}()
		}
		wg.Wait()
	}
	if opts.Message != nil {
		if err := obs.verify(ctx, client, r, opts); err != nil {
			return nil, err
		}
	}
	return obs, nil
}

func normSelector(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

func observeServer(ctx context.Context, client *dns.AuthClient, r dns.Resolver, s authoritative.Server, zone, domain, selector, next string) Server {
	out := Server{Server: s,
		Current: RecordView{Name: dkimkey.RecordName(selector, domain), State: RecordUnknown},
		Next:    RecordView{Name: dkimkey.RecordName(next, domain), State: RecordUnknown},
	}
	if s.Status != "ok" {
		out.Current.Problem, out.Next.Problem = "the server was not asked: "+s.Status, "the server was not asked: "+s.Status
		return out
	}
	if a, err := client.Ask(ctx, s.Address, zone, dns.TypeSOA); err == nil {
		for _, rec := range a.Records {
			if soa, ok := rec.RR.(*mdns.SOA); ok {
				out.NegativeTTL = min(rec.TTL, soa.Minttl)
			}
		}
	}
	sr := client.ServerResolver(s.Address, zone, r)
	out.Current = observeRecord(ctx, sr, domain, selector)
	out.Next = observeRecord(ctx, sr, domain, next)
	return out
}

// ttlRecorder keeps the TTL of the TXT answer it passes on.
type ttlRecorder struct {
	r   dns.Resolver
	mu  sync.Mutex
	ttl uint32
}

func (t *ttlRecorder) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	a, err := t.r.Query(ctx, name, qtype)
	if err == nil && qtype == dns.TypeTXT {
		t.mu.Lock()
		t.ttl = a.MinTTL()
		t.mu.Unlock()
	}
	return a, err
}

// sizeCodes are the findings about a key's size: the key is still the key
// published (a weak new key is judged by the rotation itself).
var sizeCodes = map[string]bool{
	dkimkey.FindKeyTooShort.Code: true, dkimkey.FindKeyWeak.Code: true,
	dkimkey.FindKeyOver4096.Code: true, dkimkey.FindKeyTooLarge.Code: true,
}

func observeRecord(ctx context.Context, sr dns.Resolver, domain, selector string) RecordView {
	rec := &ttlRecorder{r: sr}
	res := dkimkey.CheckSelector(ctx, rec, domain, selector, nil, false)
	rv := RecordView{Name: res.Name, CNAMEs: res.CNAMEs}
	var problem string
	for _, f := range res.Findings {
		if f.Severity >= finding.Error && !sizeCodes[f.Code] && f.Code != dkimkey.FindNoRecord.Code {
			problem = f.Message
			break
		}
	}
	switch {
	case res.Error != "":
		rv.State, rv.Problem = RecordUnknown, res.Error
	case problem != "":
		rv.State, rv.Problem = RecordBroken, problem
		rv.Value = strings.Join(res.Records, " | ")
	case res.Record != nil && res.Revoked:
		rv.State = RecordRevoked
	case res.Record != nil && res.Record.PublicKey != nil:
		rv.State = RecordKey
		rv.pub = res.Record.PublicKey
		rv.KeyType, rv.KeyBits = res.KeyType, res.KeyBits
		rv.Key = KeyID(rv.pub)
	case len(res.Records) == 0:
		rv.State = RecordAbsent
	default:
		rv.State, rv.Problem = RecordBroken, "not a usable key record"
		rv.Value = strings.Join(res.Records, " | ")
	}
	if rv.State != RecordAbsent && rv.State != RecordUnknown {
		rec.mu.Lock()
		rv.TTL = rec.ttl
		rec.mu.Unlock()
	}
	return rv
}

// KeyID identifies a public key: "sha256:" and the unpadded base64 of the
// SHA-256 of its SubjectPublicKeyInfo. It is empty for a key that cannot be
// encoded.
func KeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return "sha256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// verify verifies the test message against the keys a name server serves:
// the first that serves a key at the new selector, else the first that
// answers.
func (obs *Observation) verify(ctx context.Context, client *dns.AuthClient, r dns.Resolver, opts ObserveOptions) error {
	name := opts.MessageName
	if name == "" {
		name = "(message)"
	}
	res := r
	addr := ""
	for _, s := range obs.Servers {
		if s.Status == "ok" && (addr == "" || s.Next.State == RecordKey) {
			addr = s.Address
			if s.Next.State == RecordKey {
				break
			}
		}
	}
	if addr != "" {
		res = client.ServerResolver(addr, obs.Zone, r)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	sigs, err := dkim.Verify(ctx, opts.Message, dns.NewCache(res), dkim.VerifyOptions{Now: func() time.Time { return now }})
	if err != nil {
		return &MessageError{Name: name, Err: err}
	}
	mc := &MessageCheck{File: name, Signatures: []dkim.SignatureResult{}}
	for _, s := range sigs {
		if dns.CanonicalName(s.Domain) == obs.Domain {
			mc.Signatures = append(mc.Signatures, s)
		} else {
			mc.Others = append(mc.Others, fmt.Sprintf("d=%s s=%s", s.Domain, s.Selector))
		}
	}
	obs.Message = mc
	return nil
}

// CanGenerate reports whether a new key may be generated for the new
// selector: nothing is published there yet (a revoked record, left by an
// earlier rotation to the same selector, does not count). A key generated
// while another is published would not be the one verifiers find.
func (obs *Observation) CanGenerate() error {
	for _, s := range obs.Servers {
		switch s.Next.State {
		case RecordKey, RecordBroken:
			return fmt.Errorf("rotation: %s already publishes a record on %s; a new key would not be the one published", s.Next.Name, s.Label())
		}
	}
	return nil
}
