package dkim

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
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

// parseKeyRecord parses the TXT record of a DKIM key with dkimkey.
func parseKeyRecord(txt string) (*publicKey, error) {
	rec, err := dkimkey.ParseRecord(txt)
	if err != nil {
		code := "key-syntax"
		if errors.Is(err, dkimkey.ErrKeyType) {
			code = "key-unsupported"
		}
		return nil, &keyError{code, "the key record is unusable: " + strings.TrimPrefix(err.Error(), "dkimkey: ")}
	}
	if rec.Revoked() {
		return nil, &keyError{"key-revoked", "the key is revoked (empty p=)"}
	}
	return &publicKey{
		Type: rec.KeyType, Key: rec.PublicKey, Bits: rec.Bits(),
		Hashes: rec.HashAlgs, Services: rec.Services, Flags: rec.Flags, Record: txt,
	}, nil
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
