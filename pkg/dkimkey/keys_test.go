package dkimkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const keysDir = "../../testdata/keys"

func readKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePrivateKey(t *testing.T) {
	tests := []struct {
		file string
		alg  string
		bits int
	}{
		{"rsa2048.pem", AlgRSA, 2048},
		{"rsa1024.pem", AlgRSA, 1024},
		{"rsa1024-pkcs1.pem", AlgRSA, 1024},
		{"ed25519.pem", AlgEd25519, 256},
		{"../../testdata/conformance/dkim/rfc8463/rsa-test.private.pem", AlgRSA, 1024},
		{"../../testdata/conformance/dkim/rfc6376/brisbane.private.pem", AlgRSA, 1024},
	}
	for _, tt := range tests {
		k, err := ParsePrivateKey(readKey(t, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if alg, bits := KeyAlgorithm(k); alg != tt.alg || bits != tt.bits {
			t.Errorf("%s: got %s %d, want %s %d", tt.file, alg, bits, tt.alg, tt.bits)
		}
	}
	// The PKCS#1 and PKCS#8 forms are the same key.
	a, _ := ParsePrivateKey(readKey(t, "rsa1024.pem"))
	b, _ := ParsePrivateKey(readKey(t, "rsa1024-pkcs1.pem"))
	if !a.(*rsa.PrivateKey).Equal(b) {
		t.Error("rsa1024.pem and rsa1024-pkcs1.pem differ")
	}
}

// RFC 8463 A.1/A.2: the base64 seed gives the published public key.
func TestParsePrivateKeyRFC8463Seed(t *testing.T) {
	seed := readKey(t, "../../testdata/conformance/dkim/rfc8463/ed25519.seed.b64")
	k, err := ParsePrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecord(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	if rec.String() != rfc8463Ed25519 {
		t.Errorf("record = %q, want %q", rec.String(), rfc8463Ed25519)
	}
	// seed||public (64 bytes) is accepted too.
	full := k.(ed25519.PrivateKey)
	if _, err := ParsePrivateKey([]byte(b64(full))); err != nil {
		t.Error(err)
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	tests := []struct {
		data []byte
		want string
	}{
		{readKey(t, "not-a-key.pem"), "malformed PKCS#8"},
		{readKey(t, "rsa1024-public.pem"), "this is a public key"},
		{readKey(t, "encrypted.pem"), "encrypted"},
		{readKey(t, "text.txt"), "not a private key"},
		{[]byte(""), "not a private key"},
		{[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "no private key block"},
		{[]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), "ECDSA"},
		{[]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), "OpenSSH"},
		{[]byte("AAAA"), "an Ed25519 seed is 32"},
	}
	for _, tt := range tests {
		_, err := ParsePrivateKey(tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "dkimkey: ") {
			t.Errorf("ParsePrivateKey(%.30q): %v; want an error containing %q", tt.data, err, tt.want)
		}
	}
}

// An error never quotes the key material it was given.
func TestParsePrivateKeyErrorsHideKey(t *testing.T) {
	pemData := readKey(t, "rsa2048.pem")
	broken := bytes.Replace(pemData, []byte("MII"), []byte("MIX"), 1)
	_, err := ParsePrivateKey(broken)
	if err == nil {
		t.Fatal("a broken key parsed")
	}
	lines := strings.Split(string(pemData), "\n")
	for _, l := range lines[1 : len(lines)-2] {
		if len(l) > 10 && strings.Contains(err.Error(), l[:10]) {
			t.Fatalf("the error quotes the key: %v", err)
		}
	}
}

func TestGenerateAndMarshal(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	k1, err := GenerateKey(bytes.NewReader(seed), AlgEd25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := GenerateKey(bytes.NewReader(seed), AlgEd25519, 0)
	if !k1.(ed25519.PrivateKey).Equal(k2) {
		t.Error("Ed25519 generation is not determined by rand")
	}
	pemData, err := MarshalPrivateKey(k1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemData, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("not PKCS#8 PEM: %s", pemData)
	}
	back, err := ParsePrivateKey(pemData)
	if err != nil || !back.(ed25519.PrivateKey).Equal(k1) {
		t.Errorf("round trip: %v", err)
	}
	if testing.Short() {
		return
	}
	rk, err := GenerateKey(nil, AlgRSA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if alg, bits := KeyAlgorithm(rk); alg != AlgRSA || bits != 2048 {
		t.Errorf("default RSA key: %s %d", alg, bits)
	}
	if _, err := GenerateKey(nil, "dsa", 0); err == nil {
		t.Error("dsa accepted")
	}
	if _, err := GenerateKey(bytes.NewReader(nil), AlgEd25519, 0); err == nil {
		t.Error("no randomness accepted")
	}
}

func TestCheckKeySize(t *testing.T) {
	for _, tt := range []struct {
		alg      string
		bits     int
		insecure bool
		ok       bool
	}{
		{AlgRSA, 2048, false, true}, {AlgRSA, 3072, false, true}, {AlgRSA, 4096, false, true},
		{AlgRSA, 1024, false, false}, {AlgRSA, 1024, true, true}, {AlgRSA, 512, true, false},
		{AlgRSA, 2049, false, false}, {AlgEd25519, 0, false, true}, {AlgEd25519, 2048, false, false},
		{"ecdsa", 256, false, false},
	} {
		if err := CheckKeySize(tt.alg, tt.bits, tt.insecure); (err == nil) != tt.ok {
			t.Errorf("CheckKeySize(%s, %d, %v) = %v", tt.alg, tt.bits, tt.insecure, err)
		}
	}
}

func TestWritePrivateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.pem")
	if err := WritePrivateKeyFile(path, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	err = WritePrivateKeyFile(path, []byte("two"), false)
	var ee *ExistsError
	if !errors.As(err, &ee) || !errors.Is(err, os.ErrExist) || ee.Path != path {
		t.Errorf("overwrite without force: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("the file was changed: %q", b)
	}
	if err := WritePrivateKeyFile(path, []byte("three"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Errorf("force did not replace: %q", b)
	}
	if err := WritePrivateKeyFile(dir, []byte("x"), true); err == nil {
		t.Error("wrote over a directory")
	}
	if err := WritePrivateKeyFile(filepath.Join(dir, "missing", "k.pem"), []byte("x"), false); err == nil {
		t.Error("wrote into a missing directory")
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %v", names)
	}
}
