package dkim

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// recordFlags are the flags for the tags of a generated record, shared by
// keygen and record.
type recordFlags struct {
	Domain           string
	Selector         string
	Testing          bool
	StrictSubdomains bool
	Services         []string
	Hashes           []string
	Note             string
	TTL              int
}

func (rf *recordFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&rf.Domain, "domain", "", "the signing `domain` (d=)")
	fl.StringVar(&rf.Selector, "selector", "", "the `selector` (s=); the record is published at SELECTOR._domainkey.DOMAIN")
	fl.BoolVar(&rf.Testing, "testing", false, "mark the key as in testing (t=y)")
	fl.BoolVar(&rf.StrictSubdomains, "strict-subdomains", false, "forbid subdomains in i= (t=s)")
	fl.StringSliceVar(&rf.Services, "service", nil, "restrict the key to service `types` (s=): email, or * (comma-separated or repeated)")
	fl.StringSliceVar(&rf.Hashes, "hash", nil, "restrict the key to hash `algorithms` (h=): sha256 (sha1 is refused)")
	fl.StringVar(&rf.Note, "note", "", "a note for humans (n=)")
	fl.IntVar(&rf.TTL, "ttl", 0, "TTL for the zone-file line (0: leave it to the zone's $TTL)")
}

// validate checks the domain, selector and tag flags.
func (rf *recordFlags) validate() error {
	if rf.Domain == "" {
		return cmdutil.FlagErrorf("--domain is required")
	}
	if rf.Selector == "" {
		return cmdutil.FlagErrorf("--selector is required")
	}
	rf.Domain = dns.CanonicalName(rf.Domain)
	if err := dns.CheckName(rf.Domain); err != nil {
		return cmdutil.BadInput("--domain", err)
	}
	if err := dkimkey.CheckSelectorName(rf.Selector, rf.Domain); err != nil {
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
	if rf.TTL < 0 {
		return cmdutil.FlagErrorf("invalid --ttl %d: want 0 or more seconds", rf.TTL)
	}
	return nil
}

// Publication is what to publish for a key: the JSON of keygen and record.
// It never holds the private key.
type Publication struct {
	Domain   string `json:"domain"`
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
	// ZoneLine is a BIND zone-file line publishing the record.
	ZoneLine string `json:"zone_line"`
	// PrivateKeyFile is where keygen wrote the private key ("-" for
	// stdout); empty for the record command.
	PrivateKeyFile string `json:"private_key_file,omitempty"`
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
	name := dkimkey.RecordName(rf.Selector, rf.Domain)
	value := rec.String()
	// The value must parse back to the same key: a self-check of the
	// record builder.
	back, err := dkimkey.ParseRecord(value)
	if err != nil || !dkimkey.SamePublicKey(pub, back.PublicKey) {
		return nil, fmt.Errorf("dkim: internal error: the generated record does not parse back (%v)", err)
	}
	return &Publication{
		Domain: rf.Domain, Selector: rf.Selector, Name: name, Algorithm: alg, Bits: bits,
		Value: value, Strings: dkimkey.SplitTXT(value, dkimkey.MaxTXTString), ZoneLine: dkimkey.ZoneLine(name, value, rf.TTL),
	}, nil
}

// writePublication renders a Publication as a table (for people) or JSON.
func writePublication(w io.Writer, format string, p *Publication) error {
	if format == "json" {
		return cmdutil.WriteJSON(w, p)
	}
	var b strings.Builder
	if p.PrivateKeyFile != "" && p.PrivateKeyFile != "-" {
		fmt.Fprintf(&b, "Private key: %s (%s, PKCS#8 PEM, mode 0600). Keep it secret; give it only to the signer.\n\n", p.PrivateKeyFile, describeKey(p.Algorithm, p.Bits))
	}
	fmt.Fprintf(&b, "Publish this TXT record for the key (%s):\n\n", describeKey(p.Algorithm, p.Bits))
	fmt.Fprintf(&b, "  Name:   %s\n", p.Name)
	fmt.Fprintf(&b, "  Value:  %s\n\n", p.Value)
	if len(p.Strings) > 1 {
		fmt.Fprintf(&b, "The value is %d octets: a TXT string holds at most 255, so it is published as ONE\nrecord of %d strings (verifiers join them). Zone-file line:\n\n", len(p.Value), len(p.Strings))
	} else {
		b.WriteString("Zone-file line:\n\n")
	}
	fmt.Fprintf(&b, "%s\n", p.ZoneLine)
	if p.Algorithm == dkimkey.AlgEd25519 {
		b.WriteString("\nMany receivers do not verify Ed25519 signatures yet: sign with an RSA key as well,\nunder another selector (dual signing).\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describeKey(alg string, bits int) string {
	if alg == dkimkey.AlgEd25519 {
		return "Ed25519"
	}
	return fmt.Sprintf("RSA %d bits", bits)
}
