package dkimkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Algorithms for GenerateKey: the key types of k=.
const (
	AlgRSA     = KeyTypeRSA
	AlgEd25519 = KeyTypeEd25519
)

// DefaultRSABits is the RSA key size generated when none is asked for.
const DefaultRSABits = 2048

// The RSA key sizes of emailauth's key-size policy, the same for keygen,
// signing, verifying and checking a published key.
const (
	// MaxInteropRSABits is the largest RSA key RFC 8301 §3.2 requires
	// verifiers to handle (1024 to 4096 bits), and the largest keygen
	// makes. Signing with a larger key gets a warning (dkim.SignWarning),
	// and a published larger key a finding (dkim.key-over-4096): verifiers
	// may refuse it.
	MaxInteropRSABits = 4096
	// MaxRSABits is the largest RSA key emailauth verifies with: verifying
	// costs the verifier more the larger the key, and the signer chooses
	// the key, so pkg/dkim refuses larger ones (permerror, code
	// key-too-large) and a published larger key is an error
	// (dkim.key-too-large).
	MaxRSABits = 8192
)

// MaxKeyFileSize is the most ReadPrivateKey and ReadPrivateKeyFile read: 64
// KiB. A private key file is a few kilobytes (a PEM RSA-4096 key is about
// 3.3 KB, an RSA-16384 one about 12.6 KB); anything larger is the wrong
// file, or a device such as /dev/zero.
const MaxKeyFileSize = 64 << 10

// ErrKeyFileTooLarge is wrapped by the error of a key file or stream larger
// than MaxKeyFileSize.
var ErrKeyFileTooLarge = errors.New("larger than 64 KiB")

// ReadPrivateKey reads a private key from r (at most MaxKeyFileSize octets)
// and parses it with ParsePrivateKey. name says where the key comes from in
// errors ("-" or "standard input", a path); errors never quote the key.
func ReadPrivateKey(r io.Reader, name string) (crypto.Signer, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("dkimkey: reading the private key from %s: %w", name, err)
	}
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("dkimkey: the private key in %s is %w; a key file is a few kilobytes (a PEM RSA-4096 key is about 3.3 KB): check that this is the key file", name, ErrKeyFileTooLarge)
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return k, nil
}

// ReadPrivateKeyFile reads and parses the private key file at path, reading
// at most MaxKeyFileSize octets. It need not be a regular file (a pipe such
// as bash's <(...) is fine), but it may not be a directory. Every way
// emailauth reads a private key file should go through here (or
// ReadPrivateKey), so that "-k /dev/zero" stops at 64 KiB.
func ReadPrivateKeyFile(path string) (crypto.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dkimkey: opening the private key: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("dkimkey: %s is a directory, not a private key file", path)
	}
	return ReadPrivateKey(f, path)
}

// CheckKeySize validates an RSA key size for generation: 2048, 3072 and
// 4096 are allowed; 1024 only when insecure is true (RFC 8301 §3.2 lets
// verifiers accept it, but it is weak); anything else is refused. For
// Ed25519 bits must be 0 or 256.
func CheckKeySize(alg string, bits int, insecure bool) error {
	switch alg {
	case AlgRSA:
		switch bits {
		case 2048, 3072, 4096:
			return nil
		case 1024:
			if insecure {
				return nil
			}
			return fmt.Errorf("dkimkey: a 1024-bit RSA key is weak (RFC 8301 asks signers for at least 2048 bits); use 2048 or more, or allow it explicitly with --insecure")
		}
		return fmt.Errorf("dkimkey: unsupported RSA key size %d; use 2048 (the default), 3072 or 4096", bits)
	case AlgEd25519:
		if bits == 0 || bits == 256 {
			return nil
		}
		return fmt.Errorf("dkimkey: an Ed25519 key has a fixed size; do not give a size (got %d bits)", bits)
	}
	return fmt.Errorf("dkimkey: unknown algorithm %q; use rsa or ed25519", alg)
}

// GenerateKey generates a DKIM signing key: RSA of the given size (0 means
// 2048), or Ed25519 (RFC 8463; bits is ignored). The Ed25519 seed is read
// from rand, so a fixed reader gives a fixed key. For RSA, Go's crypto/rsa
// ignores rand since Go 1.26 and always uses the system's secure source.
// The size policy (no 1024 without an explicit opt-in) is CheckKeySize's.
func GenerateKey(rand io.Reader, alg string, bits int) (crypto.Signer, error) {
	switch alg {
	case AlgRSA:
		if bits == 0 {
			bits = DefaultRSABits
		}
		if bits < 1024 || bits > 8192 {
			return nil, fmt.Errorf("dkimkey: unsupported RSA key size %d", bits)
		}
		k, err := rsa.GenerateKey(rand, bits)
		if err != nil {
			return nil, fmt.Errorf("dkimkey: generating an RSA-%d key: %w", bits, err)
		}
		return k, nil
	case AlgEd25519:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(rand, seed); err != nil {
			return nil, fmt.Errorf("dkimkey: reading randomness for an Ed25519 key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	return nil, fmt.Errorf("dkimkey: unknown algorithm %q; use rsa or ed25519", alg)
}

// MarshalPrivateKey encodes a private key as a PKCS#8 PEM block ("PRIVATE
// KEY"), the form OpenSSL, OpenDKIM, rspamd and most signers read.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	switch key.(type) {
	case *rsa.PrivateKey, ed25519.PrivateKey:
	default:
		return nil, fmt.Errorf("dkimkey: a %T cannot be a DKIM key; DKIM keys are RSA or Ed25519", key)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("dkimkey: encoding the private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a DKIM private key in any of the forms signers use:
// a PEM "PRIVATE KEY" (PKCS#8, RSA or Ed25519), a PEM "RSA PRIVATE KEY"
// (PKCS#1), the same as bare DER, or an Ed25519 key as base64 of its 32-byte
// seed (the form of RFC 8463's test vectors and of some signers' key files).
// Errors say what was found instead; they never quote the key.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	sawPEM := false
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		sawPEM = true
		if _, enc := b.Headers["Proc-Type"]; enc {
			return nil, errors.New("dkimkey: the PEM key is encrypted with a passphrase; decrypt it first (openssl pkey -in KEY -out PLAIN)")
		}
		switch b.Type {
		case "PRIVATE KEY":
			return parsePKCS8(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("dkimkey: malformed RSA PRIVATE KEY block: %v", cleanX509(err))
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("dkimkey: the PKCS#8 key is encrypted with a passphrase; decrypt it first (openssl pkcs8 -in KEY -out PLAIN)")
		case "EC PRIVATE KEY":
			return nil, errors.New("dkimkey: this is an ECDSA key; DKIM keys are RSA or Ed25519")
		case "OPENSSH PRIVATE KEY":
			return nil, errors.New("dkimkey: this is an OpenSSH key; DKIM signers need PKCS#8 PEM (convert an Ed25519 one with ssh-keygen -p -m PKCS8, or generate one with emailauth dkim keygen)")
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			return nil, errors.New("dkimkey: this is a public key; a private key is needed (a PEM block \"PRIVATE KEY\")")
		case "CERTIFICATE":
			continue // a bundle may hold certificates beside the key
		}
	}
	if sawPEM {
		return nil, errors.New("dkimkey: the PEM data holds no private key block (want \"PRIVATE KEY\" or \"RSA PRIVATE KEY\")")
	}
	// Bare DER.
	if len(data) > 0 && data[0] == 0x30 {
		if k, err := parsePKCS8(data); err == nil {
			return k, nil
		}
		if k, err := x509.ParsePKCS1PrivateKey(data); err == nil {
			return k, nil
		}
	}
	// Base64 of an Ed25519 seed (RFC 8463 A.1), or of seed||public key.
	s := strings.TrimSpace(string(data))
	if s != "" && len(s) <= 100 && !strings.ContainsAny(s, " \t\r\n") {
		if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
			switch len(raw) {
			case ed25519.SeedSize:
				return ed25519.NewKeyFromSeed(raw), nil
			case ed25519.PrivateKeySize:
				k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
				if !bytes.Equal(k[ed25519.SeedSize:], raw[ed25519.SeedSize:]) {
					return nil, errors.New("dkimkey: the 64-byte Ed25519 key's public half does not match its seed")
				}
				return k, nil
			}
			return nil, fmt.Errorf("dkimkey: the base64 data is %d bytes; an Ed25519 seed is 32", len(raw))
		}
	}
	return nil, errors.New("dkimkey: not a private key: expected a PEM block (\"-----BEGIN PRIVATE KEY-----\") or an Ed25519 seed in base64")
}

func parsePKCS8(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		// An RSA PKCS#1 body mislabelled "PRIVATE KEY".
		if rk, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
			return rk, nil
		}
		return nil, fmt.Errorf("dkimkey: malformed PKCS#8 private key: %v", cleanX509(err))
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return nil, errors.New("dkimkey: this is an ECDSA key; DKIM keys are RSA or Ed25519")
	}
	return nil, fmt.Errorf("dkimkey: a %T cannot be a DKIM key; DKIM keys are RSA or Ed25519", k)
}

func cleanX509(err error) string {
	return strings.TrimPrefix(err.Error(), "x509: ")
}

// PublicKeyOf returns the public half of a private key.
func PublicKeyOf(key crypto.Signer) crypto.PublicKey { return key.Public() }

// KeyAlgorithm returns "rsa" or "ed25519" for a private or public key, and
// its size in bits.
func KeyAlgorithm(key any) (string, int) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return AlgRSA, k.N.BitLen()
	case *rsa.PublicKey:
		return AlgRSA, k.N.BitLen()
	case ed25519.PrivateKey, ed25519.PublicKey:
		return AlgEd25519, 256
	}
	return "", 0
}

// SamePublicKey reports whether two public keys are the same key.
func SamePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok && b != nil {
		return e.Equal(b)
	}
	return false
}

// ExistsError is returned by WritePrivateKeyFile when the file exists and
// force is false.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("dkimkey: %s already exists; refusing to overwrite a private key", e.Path)
}

// Is makes errors.Is(err, os.ErrExist) true.
func (e *ExistsError) Is(target error) bool { return target == os.ErrExist }

// WritePrivateKeyFile writes a PEM private key to path, readable by its
// owner only (0600 from creation) and atomically: the data goes to a new
// temporary file in the same directory (O_CREATE|O_EXCL, mode 0600), is
// synced, and is then moved into place, so a crash leaves either no file or
// the whole key. Without force an existing file is never replaced (the final
// step is a hard link, which fails if the name exists); with force it is.
// On error no file is left behind.
func WritePrivateKeyFile(path string, pemData []byte, force bool) (err error) {
	if path == "" {
		return errors.New("dkimkey: no file name for the private key")
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("dkimkey: %s is a directory, not a key file", path)
		}
		if !force {
			return &ExistsError{Path: path}
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("dkimkey: creating the key file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	// CreateTemp creates 0600 with O_EXCL; make sure of the mode anyway.
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("dkimkey: setting the mode of the key file: %w", err)
	}
	if _, err = tmp.Write(pemData); err != nil {
		return fmt.Errorf("dkimkey: writing the key file %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("dkimkey: syncing the key file %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("dkimkey: closing the key file %s: %w", path, err)
	}
	if force {
		if err = os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("dkimkey: moving the key into place at %s: %w", path, err)
		}
	} else {
		if err = os.Link(tmpName, path); err != nil {
			if errors.Is(err, os.ErrExist) {
				return &ExistsError{Path: path}
			}
			// A file system without hard links: check, then rename.
			if _, serr := os.Lstat(path); serr == nil {
				return &ExistsError{Path: path}
			}
			if err = os.Rename(tmpName, path); err != nil {
				return fmt.Errorf("dkimkey: moving the key into place at %s: %w", path, err)
			}
		} else {
			os.Remove(tmpName)
		}
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
