package dkim

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// DefaultTTL is the TTL of the zone-file line unless --ttl says otherwise:
// the same for every command that prints one (docs/cli.md).
const DefaultTTL = 3600

// maxTTL is the largest TTL a resource record may carry (RFC 2181 §8).
const maxTTL = 1<<31 - 1

// recordFlags are the flags for the tags of a generated record, shared by
// keygen and record. Domain is the DOMAIN argument.
type recordFlags struct {
	Domain           dns.Domain
	Selector         string
	Testing          bool
	StrictSubdomains bool
	Services         []string
	Hashes           []string
	Note             string
	TTL              int

	legacy legacyDomain
}

func (rf *recordFlags) add(f *cmdutil.Factory, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&rf.Selector, "selector", "s", "", "the `selector` (s=); the record is published at SELECTOR._domainkey.DOMAIN")
	fl.BoolVar(&rf.Testing, "testing", false, "mark the key as in testing (t=y)")
	fl.BoolVar(&rf.StrictSubdomains, "strict-subdomains", false, "forbid subdomains in i= (t=s)")
	fl.StringSliceVar(&rf.Services, "service", nil, "restrict the key to service `types` (s=): email, or * (comma-separated or repeated)")
	fl.StringSliceVar(&rf.Hashes, "hash", nil, "restrict the key to hash `algorithms` (h=): sha256 (sha1 is refused)")
	fl.StringVar(&rf.Note, "note", "", "a note for humans, `TEXT` (n=)")
	fl.IntVar(&rf.TTL, "ttl", DefaultTTL, "TTL of the zone-file line, in `seconds` (0: leave it to the zone's $TTL)")
	rf.legacy.add(f, cmd)
}

// validate reads the domain (the DOMAIN argument, or the deprecated
// --domain) and checks the selector and tag flags.
func (rf *recordFlags) validate(f *cmdutil.Factory, args []string) error {
	d, err := rf.legacy.domain(f, args)
	if err != nil {
		return err
	}
	rf.Domain = d
	if rf.Selector == "" {
		return cmdutil.FlagErrorf("--selector is required: the key is published at SELECTOR._domainkey.%s", d.ASCII)
	}
	if err := dkimkey.CheckSelectorName(rf.Selector, d.ASCII); err != nil {
		return cmdutil.BadInputHint("--selector", err, "a selector is a name such as s1 or 2026-11; the record goes at SELECTOR._domainkey.DOMAIN")
	}
	rf.Selector = strings.ToLower(strings.TrimSuffix(rf.Selector, "."))
	for i, s := range rf.Services {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "email" && s != "*" {
			return cmdutil.BadInputHint("--service", fmt.Errorf("unknown service type %q", s), "DKIM defines s=email and s=* (all services); leave --service out for all")
		}
		rf.Services[i] = s
	}
	for i, h := range rf.Hashes {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "sha256":
		case "sha1":
			return cmdutil.BadInputHint("--hash", fmt.Errorf("sha1 is not allowed (RFC 8301 forbids rsa-sha1)"), "use --hash sha256, or leave --hash out")
		default:
			return cmdutil.BadInputHint("--hash", fmt.Errorf("unknown hash algorithm %q", h), "use --hash sha256, or leave --hash out")
		}
		rf.Hashes[i] = h
	}
	if rf.TTL < 0 || rf.TTL > maxTTL {
		return cmdutil.FlagErrorf("invalid --ttl %d: want 0 to %d seconds (0 leaves the TTL to the zone's $TTL)", rf.TTL, maxTTL)
	}
	return nil
}

// Publication is what to publish for a key: the JSON of keygen and record.
// It never holds the private key.
type Publication struct {
	// Domain is the signing domain in A-labels (the form published);
	// Unicode is its U-label form when that differs.
	Domain   string `json:"domain"`
	Unicode  string `json:"unicode,omitempty"`
	Selector string `json:"selector"`
	// Name is the TXT record's name, SELECTOR._domainkey.DOMAIN.
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Bits      int    `json:"bits"`
	// Value is the record value, as one string.
	Value string `json:"value"`
	// Strings is the value split into character-strings of at most 255
	// octets, for publication as one TXT record.
	Strings []string `json:"strings"`
	// TTL is the zone-file line's TTL; 0 leaves it to the zone's $TTL.
	TTL int `json:"ttl"`
	// ZoneLine is a BIND zone-file line publishing the record.
	ZoneLine string `json:"zone_line"`
	// PrivateKeyFile is where keygen wrote the private key ("-" for
	// stdout); empty for the record command.
	PrivateKeyFile string `json:"private_key_file,omitempty"`

	display string // the domain for people
}

func buildPublication(rf *recordFlags, pub any) (*Publication, error) {
	rec, err := dkimkey.NewRecord(pub)
	if err != nil {
		return nil, err
	}
	rec.Flags = nil
	if rf.Testing {
		rec.Flags = append(rec.Flags, "y")
	}
	if rf.StrictSubdomains {
		rec.Flags = append(rec.Flags, "s")
	}
	if len(rf.Services) > 0 {
		rec.Services = rf.Services
	}
	if len(rf.Hashes) > 0 {
		rec.HashAlgs = rf.Hashes
	}
	rec.Note = rf.Note
	alg, bits := dkimkey.KeyAlgorithm(pub)
	name := dkimkey.RecordName(rf.Selector, rf.Domain.ASCII)
	value := rec.String()
	// The value must parse back to the same key: a self-check of the
	// record builder.
	back, err := dkimkey.ParseRecord(value)
	if err != nil || !dkimkey.SamePublicKey(pub, back.PublicKey) {
		return nil, fmt.Errorf("dkim: internal error: the generated record does not parse back (%v)", err)
	}
	p := &Publication{
		Domain: rf.Domain.ASCII, Selector: rf.Selector, Name: name, Algorithm: alg, Bits: bits,
		Value: value, Strings: dkimkey.SplitTXT(value, dkimkey.MaxTXTString), TTL: rf.TTL,
		ZoneLine: dkimkey.ZoneLine(name, value, rf.TTL), display: rf.Domain.Display(),
	}
	if rf.Domain.Unicode != rf.Domain.ASCII {
		p.Unicode = rf.Domain.Unicode
	}
	return p, nil
}

// writePublication renders a Publication: JSON, the zone-file line alone
// (-q), or the record explained for people. It goes to stdout, or to stderr
// when stdout holds the private key (keygen --out -).
func writePublication(f *cmdutil.Factory, p *Publication, toStderr bool) error {
	if f.Global != nil && f.Global.Output == "json" {
		w := f.IO.Out
		if toStderr {
			w = f.IO.ErrOut // a machine format: its encoder escapes what it carries
		}
		return cmdutil.WriteJSON(w, p)
	}
	t := f.IO.Term()
	if toStderr {
		t = f.IO.ErrTerm()
	}
	if f.IO.Quiet {
		t.Printf("%s\n", p.ZoneLine)
		return t.Err()
	}
	if p.PrivateKeyFile != "" && p.PrivateKeyFile != "-" {
		t.Printf("Private key: %s (%s, PKCS#8 PEM, mode 0600). Keep it secret; give it only to the signer.\n\n", p.PrivateKeyFile, describeKey(p.Algorithm, p.Bits))
	}
	t.Printf("Publish this TXT record for the key of %s (%s):\n\n", p.display, describeKey(p.Algorithm, p.Bits))
	t.Printf("  Name:   %s\n", p.Name)
	t.Printf("  Value:  %s\n\n", p.Value)
	if len(p.Strings) > 1 {
		t.Printf("The value is %d octets: a TXT string holds at most 255, so it is published as ONE\nrecord of %d strings (verifiers join them). Zone-file line:\n\n", len(p.Value), len(p.Strings))
	} else {
		t.Printf("Zone-file line:\n\n")
	}
	t.Printf("%s\n", p.ZoneLine)
	if p.Algorithm == dkimkey.AlgEd25519 {
		t.Printf("\nMany receivers do not verify Ed25519 signatures yet: sign with an RSA key as well,\nunder another selector (dual signing).\n")
	}
	return t.Err()
}

func describeKey(alg string, bits int) string {
	if alg == dkimkey.AlgEd25519 {
		return "Ed25519"
	}
	return fmt.Sprintf("RSA %d bits", bits)
}
