package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// publicKey is a parsed DKIM key record (RFC 6376 §3.6.1, RFC 8463).
type publicKey struct {
	Type     string // "rsa" or "ed25519"
	Key      crypto.PublicKey
	Bits     int
	Hashes   []string // h=, nil when absent (any)
	Services []string // s=, nil when absent (*)
	Flags    []string // t=
	Record   string
}

func (k *publicKey) hasFlag(f string) bool {
	for _, x := range k.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// keyError is a key record that cannot be used.
type keyError struct {
	code   string
	reason string
}

func (e *keyError) Error() string { return e.reason }

// parseKeyRecord parses the TXT record of a DKIM key.
func parseKeyRecord(txt string) (*publicKey, error) {
	tags, err := parseTagList(txt)
	if err != nil {
		return nil, &keyError{"key-syntax", fmt.Sprintf("the key record is malformed: %v", err)}
	}
	get := func(name string) (string, bool) {
		for _, t := range tags {
			if t.name == name {
				return t.value, true
			}
		}
		return "", false
	}
	if v, ok := get("v"); ok {
		if tags[0].name != "v" {
			return nil, &keyError{"key-syntax", "v= is not the first tag of the key record"}
		}
		if v != "DKIM1" {
			return nil, &keyError{"key-syntax", fmt.Sprintf("unsupported key record version v=%s (want DKIM1)", abbreviate(v))}
		}
	}
	k := &publicKey{Type: "rsa", Record: txt}
	if kt, ok := get("k"); ok {
		k.Type = strings.ToLower(stripFWS(kt))
	}
	p, ok := get("p")
	if !ok {
		return nil, &keyError{"key-syntax", "the key record has no p= tag"}
	}
	p = stripFWS(p)
	if p == "" {
		return nil, &keyError{"key-revoked", "the key is revoked (empty p=)"}
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, &keyError{"key-syntax", "p= is not valid base64"}
	}
	switch k.Type {
	case "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// RFC 6376 erratum 3017: some publish a bare RSAPublicKey.
			rsaPub, err2 := x509.ParsePKCS1PublicKey(der)
			if err2 != nil {
				return nil, &keyError{"key-syntax", "p= is not an RSA public key (neither SubjectPublicKeyInfo nor RSAPublicKey)"}
			}
			pub = rsaPub
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, &keyError{"key-syntax", fmt.Sprintf("k=rsa but p= holds a %T key", pub)}
		}
		k.Key, k.Bits = rk, rk.N.BitLen()
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, &keyError{"key-syntax", fmt.Sprintf("an Ed25519 public key is 32 octets; p= holds %d", len(der))}
		}
		k.Key, k.Bits = ed25519.PublicKey(der), 256
	default:
		return nil, &keyError{"key-unsupported", fmt.Sprintf("unsupported key type k=%s (want rsa or ed25519)", abbreviate(k.Type))}
	}
	if h, ok := get("h"); ok {
		for _, x := range strings.Split(h, ":") {
			k.Hashes = append(k.Hashes, strings.ToLower(trimFWS(x)))
		}
	}
	if s, ok := get("s"); ok {
		for _, x := range strings.Split(s, ":") {
			k.Services = append(k.Services, strings.ToLower(trimFWS(x)))
		}
	}
	if t, ok := get("t"); ok {
		for _, x := range strings.Split(t, ":") {
			k.Flags = append(k.Flags, strings.ToLower(trimFWS(x)))
		}
	}
	return k, nil
}

// keyCache holds parsed keys by record text, so a batch parses each key once
// while staying consistent with what the resolver answers.
type keyCache struct {
	m sync.Map // string -> *publicKey or error
}

func (c *keyCache) parse(txt string) (*publicKey, error) {
	if c == nil {
		return parseKeyRecord(txt)
	}
	if v, ok := c.m.Load(txt); ok {
		if k, ok := v.(*publicKey); ok {
			return k, nil
		}
		return nil, v.(error)
	}
	k, err := parseKeyRecord(txt)
	if err != nil {
		c.m.Store(txt, err)
		return nil, err
	}
	c.m.Store(txt, k)
	return k, nil
}

// fetchKey asks the resolver for selector._domainkey.domain TXT and parses
// the key. Errors are *keyError (permanent) or wrap a temporary DNS error.
func fetchKey(ctx context.Context, res dns.Resolver, cache *keyCache, domain, selector string) (*publicKey, string, error) {
	name := selector + "._domainkey." + domain
	if err := dns.CheckName(name); err != nil {
		return nil, name, &keyError{"key-not-found", fmt.Sprintf("cannot ask for the key: %v", err)}
	}
	ans, err := res.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			return nil, name, &keyError{"key-not-found", fmt.Sprintf("cannot ask for the key: %v", err)}
		}
		if dns.IsTemporary(err) || ctx.Err() != nil {
			return nil, name, &tempError{err}
		}
		return nil, name, &keyError{"key-not-found", fmt.Sprintf("the key lookup failed: %v", err)}
	}
	if ans.NXDomain() {
		return nil, name, &keyError{"key-not-found", fmt.Sprintf("no key: %s does not exist (NXDOMAIN)", name)}
	}
	txts := ans.TXT()
	if len(txts) == 0 {
		return nil, name, &keyError{"key-not-found", fmt.Sprintf("no key: %s has no TXT record", name)}
	}
	var firstErr error
	for _, t := range txts {
		k, err := cache.parse(t)
		if err == nil {
			return k, name, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, name, firstErr
}

// tempError is a key lookup that may succeed later.
type tempError struct{ err error }

func (e *tempError) Error() string { return e.err.Error() }
func (e *tempError) Unwrap() error { return e.err }
