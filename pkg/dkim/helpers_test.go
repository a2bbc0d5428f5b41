package dkim

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// conformanceDir is testdata/conformance in the repository. Tests fail,
// not skip, when it is missing.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "conformance", "dkim")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the conformance suites are missing (%v): they belong at testdata/conformance in the repository", err)
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadPrivateKey reads a PEM (PKCS#1 or PKCS#8) key or a base64 Ed25519 seed.
func loadPrivateKey(t testing.TB, path string) crypto.Signer {
	t.Helper()
	data := readFile(t, path)
	if blk, _ := pem.Decode(data); blk != nil {
		if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
			return k
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return k.(crypto.Signer)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("%s: not a PEM key nor a base64 Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// fakeFromZone loads a BIND zone file into a Fake.
func fakeFromZone(t testing.TB, path string) *dnstest.Fake {
	t.Helper()
	return dnstest.NewFake(string(readFile(t, path)))
}

// addTXT adds a TXT record, split into 255-octet character-strings as a
// real zone would hold it.
func addTXT(f *dnstest.Fake, name, value string) {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, value[:255])
		value = value[255:]
	}
	parts = append(parts, value)
	f.AddTXT(name, parts...)
}

// fakeFromLines loads "<name> <TXT value>" lines (Mail::DKIM's FAKE_DNS.dat,
// stalwart's headers) into f. NXDOMAIN, timeouts and SERVFAIL are honoured.
func fakeFromLines(f *dnstest.Fake, text string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		value = strings.TrimSpace(value)
		switch value {
		case "NXDOMAIN":
		case "~~Query timed out~~":
			f.Timeout(name, 0)
		case "~~SERVFAIL~~":
			f.ServFail(name, 0)
		case `""`:
			f.AddTXT(name, "")
		default:
			addTXT(f, name, value)
		}
	}
}

func at(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func sha1Sum(b []byte) []byte { s := sha1.Sum(b); return s[:] }

// canonBody canonicalizes a whole body in one write.
func canonBody(body, canon string) []byte {
	var out bytes.Buffer
	bc := newBodyCanonicalizer(&out, canon)
	bc.Write([]byte(body))
	bc.Close()
	return out.Bytes()
}

// signRawSHA1 is signRaw for a=rsa-sha1, which our signer refuses to make.
func signRawSHA1(t testing.TB, sigTags, msg string) string {
	t.Helper()
	fields, _, err := readHeader(bufio.NewReader(newCRLFReader(strings.NewReader(msg))))
	if err != nil {
		t.Fatal(err)
	}
	unsigned := "DKIM-Signature: " + sigTags + " b=\r\n"
	sig, _, err := parseSignature(strings.TrimSuffix(unsigned[len("DKIM-Signature:"):], crlf)+"AAAA", false)
	if err != nil {
		t.Fatal(err)
	}
	h := sha1.New()
	headerHash(h, fields, sig.Headers, unsigned, "relaxed", -1)
	b, err := testRSA.Sign(nil, h.Sum(nil), crypto.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(unsigned, crlf) + base64.StdEncoding.EncodeToString(b) + crlf + msg
}
