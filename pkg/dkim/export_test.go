package dkim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestReadMessage(t *testing.T) {
	var names, values []string
	var body string
	err := ReadMessage(strings.NewReader("From: a@b.example\nSubject: x\n y\n\nbody\n"), func(fields []Field, r io.Reader) error {
		for _, f := range fields {
			names = append(names, f.Name())
			values = append(values, f.Value())
		}
		b, err := io.ReadAll(r)
		body = string(b)
		if fields[1].Raw() != "Subject: x\r\n y\r\n" {
			t.Errorf("raw %q", fields[1].Raw())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "From,Subject" || values[1] != " x\r\n y" || body != "body\r\n" {
		t.Errorf("names %q values %q body %q", names, values, body)
	}
	if err := ReadMessage(strings.NewReader(""), func([]Field, io.Reader) error { return nil }); !errors.Is(err, ErrEmptyMessage) {
		t.Errorf("empty: %v", err)
	}
	if err := ReadMessage(strings.NewReader("nope\r\n\r\n"), func([]Field, io.Reader) error { return nil }); !errors.Is(err, ErrNoSeparator) {
		t.Errorf("not a message: %v", err)
	}
	stop := errors.New("stop")
	if err := ReadMessage(strings.NewReader("A: b\r\n\r\n"), func([]Field, io.Reader) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
}

// The exported body hasher gives the RFC 6376 §3.4.5 body hashes, whatever
// the size of the writes.
func TestBodyHasher(t *testing.T) {
	for _, tc := range []struct{ canon, want string }{
		{"relaxed", "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo="},
		{"simple", "NOeivbQlDH9TmNKJUw7D53wZfsk8YMZ/hTuVVwTgi8s="},
	} {
		in := " C \r\nD \t E\r\n\r\n\r\n"
		for _, step := range []int{1, 4, len(in)} {
			h, err := NewBodyHasher(tc.canon, "sha256", -1)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(in); i += step {
				h.Write([]byte(in[i:min(i+step, len(in))]))
			}
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(h.Sum()); got != tc.want {
				t.Errorf("%s step %d: %s, want %s", tc.canon, step, got, tc.want)
			}
			if h.Close() != nil {
				t.Error("second Close")
			}
			if _, err := h.Write([]byte("x")); err == nil {
				t.Error("write after Close accepted")
			}
		}
	}
	// A limit hashes a prefix of the canonical body and counts all of it.
	h, _ := NewBodyHasher("simple", "sha256", 3)
	h.Write([]byte("abcdef\r\n"))
	h.Close()
	if want := sha256.Sum256([]byte("abc")); !bytes.Equal(h.Sum(), want[:]) || h.Length() != 8 {
		t.Errorf("limited: %x, length %d", h.Sum(), h.Length())
	}
	for _, bad := range [][2]string{{"loose", "sha256"}, {"simple", "md5"}} {
		if _, err := NewBodyHasher(bad[0], bad[1], -1); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// HashHeaders is the header hash Sign and Verify use: a signature made
// over it verifies.
func TestHashHeadersMatchesVerify(t *testing.T) {
	msg := "From: a@example.com\r\nSubject: s\r\nTo: b@example.net\r\n\r\nbody\r\n"
	sigs, err := Signatures(strings.NewReader(msg), SignOptions{Domain: "example.com", Selector: "rsa", Signer: testRSA, Headers: []string{"From", "Subject"}, Oversign: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	signed := sigs[0] + msg
	var unsigned string
	var fields []Field
	ReadMessage(strings.NewReader(signed), func(fs []Field, _ io.Reader) error {
		fields = fs
		tags, _ := parseTagList(fs[0].Value())
		for _, tg := range tags {
			if tg.name == "b" {
				v := fs[0].Value()
				unsigned = "DKIM-Signature:" + v[:tg.start] + v[tg.end:] + "\r\n"
			}
		}
		return nil
	})
	h1, h2 := sha256.New(), sha256.New()
	HashHeaders(h1, fields, []string{"from", "subject"}, 0, unsigned, "relaxed")
	headerHash(h2, fields, []string{"from", "subject"}, unsigned, "relaxed", 0)
	if !bytes.Equal(h1.Sum(nil), h2.Sum(nil)) {
		t.Error("HashHeaders differs from headerHash")
	}
	got := string(AppendCanonicalHeader(nil, "SUBJECT :  a \r\n\tb\r\n", "relaxed"))
	if got != "subject:a b\r\n" {
		t.Errorf("canonical %q", got)
	}
}

func TestLookupKey(t *testing.T) {
	res := dnstest.NewFake()
	res.AddTXT("good._domainkey.example.com", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	res.AddTXT("revoked._domainkey.example.com", "v=DKIM1; p=")
	res.Timeout("slow._domainkey.example.com", dns.TypeTXT)
	k, err := LookupKey(context.Background(), res, "example.com", "good")
	if err != nil || k.Type != "ed25519" || k.Name != "good._domainkey.example.com" {
		t.Fatalf("%+v %v", k, err)
	}
	for sel, want := range map[string]string{"revoked": "key-revoked", "absent": "key-not-found", "slow": "dns-error"} {
		_, err := LookupKey(context.Background(), res, "example.com", sel)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Code != want || ke.Temporary != (want == "dns-error") || !strings.HasPrefix(err.Error(), "dkim: ") {
			t.Errorf("%s: %#v", sel, err)
		}
		if want == "dns-error" && !dns.IsTimeout(err) {
			t.Errorf("%s: the DNS error is not wrapped: %v", sel, err)
		}
	}
}

func TestPrepend(t *testing.T) {
	for _, msg := range []string{"A: b\r\n\r\nbody\r\n", "A: b\n\nbody\n"} {
		var out bytes.Buffer
		err := Prepend(&out, strings.NewReader(msg), func(r io.Reader) ([]string, error) {
			// Read only the header: the rest must still be written.
			return []string{"X: 1\r\n\ty\r\n"}, ReadMessage(r, func([]Field, io.Reader) error { return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "X: 1\r\n\ty\r\n" + msg
		if !strings.Contains(msg, "\r") {
			want = "X: 1\n\ty\n" + msg
		}
		if out.String() != want {
			t.Errorf("got %q, want %q", out.String(), want)
		}
	}
	// A regular file is read twice, from where it stood.
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte("skip\r\nA: b\r\n\r\nbody\r\n"), 0o600)
	f, _ := os.Open(path)
	defer f.Close()
	f.Seek(6, io.SeekStart)
	var out bytes.Buffer
	if err := Prepend(&out, f, func(r io.Reader) ([]string, error) { io.Copy(io.Discard, r); return []string{"X: 1\r\n"}, nil }); err != nil {
		t.Fatal(err)
	}
	if out.String() != "X: 1\r\nA: b\r\n\r\nbody\r\n" {
		t.Errorf("file: %q", out.String())
	}
	// Nothing is written when compute fails.
	out.Reset()
	if err := Prepend(&out, strings.NewReader("A: b\r\n\r\n"), func(io.Reader) ([]string, error) { return nil, errors.New("no") }); err == nil || out.Len() != 0 {
		t.Errorf("err %v, wrote %q", err, out.String())
	}
}

// A long h= is picked through an index instead of the quadratic scan; both
// give the same fields.
func TestPickManyHeaders(t *testing.T) {
	var fields []Field
	ReadMessage(strings.NewReader("X-A: 1\r\nx-b: 2\r\nX-A: 3\r\nFrom: f\r\nX-A: 4\r\n\r\n"), func(fs []Field, _ io.Reader) error {
		fields = fs
		return nil
	})
	names := []string{"x-a", "From", "X-B", "x-a", "missing", "X-A", "x-a", "x-b"}
	for len(names) <= 40 {
		names = append(names, "x-absent")
	}
	for _, skip := range []int{-1, 2} {
		var small, large []string
		// The quadratic scan of pickHeaders, written out.
		for i, name := range names {
			n := 0
			for _, prev := range names[:i] {
				if strings.EqualFold(prev, name) {
					n++
				}
			}
			for k := len(fields) - 1; k >= 0; k-- {
				if k == skip || !strings.EqualFold(fields[k].Name(), name) {
					continue
				}
				if n == 0 {
					small = append(small, fields[k].Raw())
					break
				}
				n--
			}
		}
		pickManyHeaders(fields, names, skip, func(raw string) { large = append(large, raw) })
		if strings.Join(small, "|") != strings.Join(large, "|") {
			t.Errorf("skip %d:\nscan  %q\nindex %q", skip, small, large)
		}
	}
}

// BenchmarkLongHeaderList verifies a signature whose h= names 50,000
// fields (a hostile message within the header size bound).
func BenchmarkLongHeaderList(b *testing.B) {
	body := "body\r\n"
	sum := sha256.Sum256([]byte(body))
	msg := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=" + strings.Repeat("a:", 50000) + "from; bh=" +
		base64.StdEncoding.EncodeToString(sum[:]) + "; b=AAAA\r\nFrom: a@example.com\r\n\r\n" + body
	for b.Loop() {
		res, err := Verify(context.Background(), strings.NewReader(msg), testZone, VerifyOptions{})
		if err != nil || len(res) != 1 || res[0].Code != "signature-mismatch" {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
