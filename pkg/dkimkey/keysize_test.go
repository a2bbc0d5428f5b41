package dkimkey

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// fakeRSAPublic returns an RSA public key with a modulus of the given size.
// It is not a real key (nothing can sign for it), which is all a record
// check needs.
func fakeRSAPublic(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Add(n, big.NewInt(0x10001))
	return &rsa.PublicKey{N: n, E: 65537}
}

// TestCheckKeySizePolicy: a published key over 4096 bits is a warning, one
// over 8192 an error (verifiers refuse it); up to 4096 nothing is said.
func TestCheckKeySizePolicy(t *testing.T) {
	rec := func(bits int) string {
		r, err := NewRecord(fakeRSAPublic(bits))
		if err != nil {
			t.Fatal(err)
		}
		return r.String()
	}
	fake := dnstest.NewFake(
		txt("k4096._domainkey.example.com", rec(4096)),
		txt("k6144._domainkey.example.com", rec(6144)),
		txt("k8192._domainkey.example.com", rec(8192)),
		txt("k16384._domainkey.example.com", rec(16384)),
	)
	for sel, want := range map[string][]string{
		"k4096":  nil,
		"k6144":  {"dkim.key-over-4096"},
		"k8192":  {"dkim.key-over-4096"},
		"k16384": {"dkim.key-too-large"},
	} {
		res := CheckSelector(context.Background(), fake, "example.com", sel, nil, false)
		if got := codes(res.Findings); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", sel, got, want)
		}
		for _, f := range res.Findings {
			if f.Fix == "" || !strings.Contains(f.Message, "bits") {
				t.Errorf("%s: %s: %q / %q", sel, f.Code, f.Message, f.Fix)
			}
		}
	}
}

func TestReadPrivateKeyBounded(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	if err := os.WriteFile(good, readKey(t, "rsa2048.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := ReadPrivateKeyFile(good); err != nil || k == nil {
		t.Fatalf("good key: %v", err)
	}
	// A file over the cap, whatever it holds.
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, bytes.Repeat([]byte("A"), MaxKeyFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadPrivateKeyFile(big)
	if !errors.Is(err, ErrKeyFileTooLarge) || !strings.Contains(err.Error(), big) || strings.Contains(err.Error(), "AAAA") {
		t.Errorf("big file: err = %v", err)
	}
	// Exactly at the cap is read (and is not a key).
	at := filepath.Join(dir, "at.pem")
	if err := os.WriteFile(at, bytes.Repeat([]byte("A"), MaxKeyFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPrivateKeyFile(at); err == nil || errors.Is(err, ErrKeyFileTooLarge) {
		t.Errorf("file at the cap: err = %v, want a parse error", err)
	}
	if _, err := ReadPrivateKeyFile(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: err = %v", err)
	}
	if _, err := ReadPrivateKeyFile(filepath.Join(dir, "none.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	// An endless device stops at the cap.
	if runtime.GOOS != "windows" {
		if _, err := ReadPrivateKeyFile("/dev/zero"); !errors.Is(err, ErrKeyFileTooLarge) {
			t.Errorf("/dev/zero: err = %v", err)
		}
	}
	// A reader: the same cap, and errors name the source.
	if _, err := ReadPrivateKey(bytes.NewReader(readKey(t, "ed25519.pem")), "standard input"); err != nil {
		t.Errorf("reader: %v", err)
	}
	if _, err := ReadPrivateKey(strings.NewReader("not a key"), "standard input"); err == nil || !strings.Contains(err.Error(), "(in standard input)") {
		t.Errorf("reader, not a key: err = %v", err)
	}
}
