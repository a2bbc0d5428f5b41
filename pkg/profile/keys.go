package profile

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// maxKeyFile bounds a key file read: a PEM public key or a DKIM record is
// a few kilobytes at most.
const maxKeyFile = 64 * 1024

// parsePublicKey reads an expected DKIM public key written as the p= value
// (base64 of a SubjectPublicKeyInfo, or of a raw Ed25519 key), a whole DKIM
// record ("v=DKIM1; k=rsa; p=..."), or a PEM "PUBLIC KEY". A private key is
// refused: a profile holds public keys only. Errors never quote the input.
func parsePublicKey(text string) (crypto.PublicKey, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, errors.New("the key is empty")
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			return nil, errors.New("the PEM block does not parse")
		}
		switch b.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the PEM public key does not parse: %v", strings.TrimPrefix(err.Error(), "x509: "))
			}
			if _, bits := dkimkey.KeyAlgorithm(k); bits == 0 {
				return nil, fmt.Errorf("a %T is not a DKIM key; DKIM keys are RSA or Ed25519", k)
			}
			return k, nil
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the PEM RSA public key does not parse: %v", strings.TrimPrefix(err.Error(), "x509: "))
			}
			return k, nil
		}
		if strings.Contains(b.Type, "PRIVATE") {
			return nil, errors.New("this is a private key; a profile holds the public key only (emailauth dkim record -k KEYFILE prints it)")
		}
		return nil, fmt.Errorf("a PEM %q block is not a public key", b.Type)
	}
	if strings.Contains(s, "=") && strings.Contains(strings.ToLower(s), "p=") && strings.Contains(s, ";") {
		rec, err := dkimkey.ParseRecord(s)
		if err != nil {
			return nil, fmt.Errorf("the DKIM record does not parse: %v", strings.TrimPrefix(err.Error(), "dkimkey: "))
		}
		if rec.PublicKey == nil {
			return nil, errors.New("the DKIM record has no key (p= is empty: revoked)")
		}
		return rec.PublicKey, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("the key is neither base64 (the p= value), a DKIM record nor a PEM public key")
	}
	if len(raw) == 32 {
		k, _, err := dkimkey.ParsePublicKey(dkimkey.KeyTypeEd25519, raw)
		return k, err
	}
	k, _, err := dkimkey.ParsePublicKey(dkimkey.KeyTypeRSA, raw)
	if err != nil {
		return nil, fmt.Errorf("the base64 key does not parse: %v", strings.TrimPrefix(err.Error(), "dkimkey: "))
	}
	return k, nil
}

// readKeyFile reads a key file named relative to the file naming it.
func readKeyFile(from, name string) (crypto.PublicKey, error) {
	p := name
	if !filepath.IsAbs(p) && from != "" {
		p = filepath.Join(filepath.Dir(from), p)
	}
	f, err := os.Open(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("key file %s: %v", p, pe.Err)
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %v", p, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is larger than %d bytes; it holds no public key", p, maxKeyFile)
	}
	k, err := parsePublicKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %v", p, err)
	}
	return k, nil
}

// keyRecord returns the DKIM record publishing pub.
func keyRecord(pub crypto.PublicKey) (string, error) {
	rec, err := dkimkey.NewRecord(pub)
	if err != nil {
		return "", err
	}
	return rec.String(), nil
}
