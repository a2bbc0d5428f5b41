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
// while staying consistent with what the resolver answers. A record split
// into character-strings is looked up without joining it into a new string.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]keyEntry
}

type keyEntry struct {
	key *publicKey
	err error
}

// parseStrings parses the key record made of the character-strings strs
// (joined with no separator, RFC 6376 §3.6.2.2).
func (c *keyCache) parseStrings(strs []string) (*publicKey, error) {
	var txt string
	var stack [1024]byte
	joined := stack[:0]
	if len(strs) == 1 {
		txt = strs[0]
	} else {
		for _, s := range strs {
			joined = append(joined, s...)
		}
	}
	if c == nil {
		if len(strs) != 1 {
			txt = string(joined)
		}
		return parseKeyRecord(txt)
	}
	c.mu.RLock()
	var e keyEntry
	var ok bool
	if len(strs) == 1 {
		e, ok = c.m[txt]
	} else {
		e, ok = c.m[string(joined)] // no allocation for the look-up
	}
	c.mu.RUnlock()
	if ok {
		return e.key, e.err
	}
	if len(strs) != 1 {
		txt = string(joined)
	}
	k, err := parseKeyRecord(txt)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]keyEntry)
	}
	c.m[txt] = keyEntry{k, err}
	c.mu.Unlock()
	return k, err
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
	// The TXT records, as ans.TXT() gives them, without joining each
	// into a new string.
	var firstErr error
	found := false
	for _, r := range ans.Records {
		if r.Type != dns.TypeTXT && r.Type != dns.TypeSPF {
			continue
		}
		found = true
		k, err := cache.parseStrings(r.Strings)
		if err == nil {
			return k, name, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if !found {
		return nil, name, &keyError{"key-not-found", fmt.Sprintf("no key: %s has no TXT record", name)}
	}
	return nil, name, firstErr
}

// tempError is a key lookup that may succeed later.
type tempError struct{ err error }

func (e *tempError) Error() string { return e.err.Error() }
func (e *tempError) Unwrap() error { return e.err }
