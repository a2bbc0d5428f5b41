package dkim

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"

	"io"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// benchResolver answers from a map without locking or recording, so that
// the benchmarks measure DKIM, not the test double.
func benchResolver() dns.Resolver {
	answers := map[string]*dns.Answer{}
	for _, name := range []string{"rsa._domainkey.example.com", "ed._domainkey.example.com"} {
		a, err := testZone.Query(context.Background(), name, dns.TypeTXT)
		if err != nil {
			panic(err)
		}
		answers[name] = a
	}
	return dns.ResolverFunc(func(_ context.Context, name string, _ uint16) (*dns.Answer, error) {
		if a, ok := answers[name]; ok {
			return a, nil
		}
		return &dns.Answer{Name: name, RCode: dns.RcodeNXDomain}, nil
	})
}

// benchMessage builds a message of about size octets: a realistic header
// and a text body of 76-octet lines.
func benchMessage(size int) string {
	var b strings.Builder
	b.WriteString("Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n\tby mx.example.com with ESMTPS id 4Xyz; Mon, 23 Nov 2026 10:00:00 +0000\r\n")
	b.WriteString("From: Joe SixPack <joe@example.com>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Quarterly report\r\n")
	b.WriteString("Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <20261123100000.12345@example.com>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog;  pack my box with five dozen.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.String()
}

var benchSizes = []struct {
	name string
	size int
}{{"2KB", 2 << 10}, {"50KB", 50 << 10}, {"1MB", 1 << 20}}

func benchKeys() []struct {
	name string
	opts SignOptions
} {
	return []struct {
		name string
		opts SignOptions
	}{{"rsa2048", rsaOpts()}, {"ed25519", edOpts()}}
}

func BenchmarkVerify(b *testing.B) {
	res := benchResolver()
	for _, k := range benchKeys() {
		for _, s := range benchSizes {
			b.Run(k.name+"/"+s.name, func(b *testing.B) {
				var out bytes.Buffer
				if err := Sign(&out, strings.NewReader(benchMessage(s.size)), k.opts); err != nil {
					b.Fatal(err)
				}
				msg := out.Bytes()
				v := NewVerifier(res, VerifyOptions{Now: func() time.Time { return testNow }})
				r := bytes.NewReader(msg)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					got, err := v.Verify(context.Background(), r)
					if err != nil || got[0].Result != Pass {
						b.Fatalf("%v %+v", err, got)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

func BenchmarkSign(b *testing.B) {
	for _, k := range benchKeys() {
		for _, s := range benchSizes {
			b.Run(k.name+"/"+s.name, func(b *testing.B) {
				msg := []byte(benchMessage(s.size))
				r := bytes.NewReader(msg)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					if _, err := Signatures(r, k.opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkRaw measures the floor: one RSA-2048 PKCS#1 v1.5 sign and verify,
// one Ed25519 sign and verify, and SHA-256 throughput.
func BenchmarkRaw(b *testing.B) {
	digest := sha256.Sum256([]byte("x"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, testRSA, crypto.SHA256, digest[:])
	b.Run("rsa2048-sign", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rsa.SignPKCS1v15(nil, testRSA, crypto.SHA256, digest[:])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("rsa2048-verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := rsa.VerifyPKCS1v15(&testRSA.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	edSig := ed25519.Sign(testEd, digest[:])
	b.Run("ed25519-sign", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ed25519.Sign(testEd, digest[:])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("ed25519-verify", func(b *testing.B) {
		pub := testEd.Public().(ed25519.PublicKey)
		for i := 0; i < b.N; i++ {
			if !ed25519.Verify(pub, digest[:], edSig) {
				b.Fatal("bad")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("sha256-1MB", func(b *testing.B) {
		buf := bytes.Repeat([]byte("a"), 1<<20)
		b.SetBytes(int64(len(buf)))
		for i := 0; i < b.N; i++ {
			sha256.Sum256(buf)
		}
	})
	b.Run("canonicalize-relaxed-1MB", func(b *testing.B) {
		body := []byte(benchMessage(1 << 20))
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			c := newBodyCanonicalizer(io.Discard, "relaxed")
			c.Write(body)
			c.Close()
		}
	})
}

// BenchmarkVerifyParts splits a 2 KB RSA-2048 verification (the message of
// BenchmarkVerify) into its steps, each run alone on the same input, so
// that docs/performance.md can say where the time outside the RSA
// operation goes. The steps do not add up exactly to BenchmarkVerify
// (the pooled state, the results and the garbage collector are left out).
func BenchmarkVerifyParts(b *testing.B) {
	var out bytes.Buffer
	if err := Sign(&out, strings.NewReader(benchMessage(2<<10)), rsaOpts()); err != nil {
		b.Fatal(err)
	}
	msg := out.Bytes()
	sep := bytes.Index(msg, []byte("\r\n\r\n")) + 4
	fields, _, err := readHeader(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		b.Fatal(err)
	}
	value := fields[0].Value()
	sig, tags, err := parseSignature(value, false)
	if err != nil {
		b.Fatal(err)
	}
	var unsigned string
	for _, t := range tags {
		if t.name == "b" {
			unsigned = "DKIM-Signature:" + value[:t.start] + value[t.end:] + "\r\n"
		}
	}
	res := benchResolver()
	var cache keyCache
	key, _, err := fetchKey(context.Background(), res, &cache, sig.Domain, sig.Selector)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	headerHash(h, fields, sig.Headers, unsigned, sig.HeaderCanon, 0)
	digest := h.Sum(nil)

	b.Run("read-header", func(b *testing.B) {
		r := bytes.NewReader(msg)
		br := bufio.NewReaderSize(nil, bufSize)
		var hs headerScratch
		for b.Loop() {
			r.Reset(msg)
			br.Reset(r)
			hs.reset()
			if _, _, err := hs.read(br); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse-signature", func(b *testing.B) {
		var s Signature
		var dst []tag
		for b.Loop() {
			dst, _ = parseSignatureTo(&s, dst[:0], value, false)
		}
	})
	b.Run("fetch-key", func(b *testing.B) {
		for b.Loop() {
			fetchKey(context.Background(), res, &cache, sig.Domain, sig.Selector)
		}
	})
	b.Run("body-hash", func(b *testing.B) {
		body := msg[sep:]
		h := sha256.New()
		c := newRawBodyCanonicalizer(h, sig.BodyCanon)
		for b.Loop() {
			h.Reset()
			*c = bodyCanonicalizer{w: h, relaxed: c.relaxed, buf: c.buf[:0], bareLF: true}
			c.Write(body)
			c.Close()
		}
	})
	b.Run("header-hash", func(b *testing.B) {
		h := sha256.New()
		var sum [sha256.Size]byte
		for b.Loop() {
			h.Reset()
			headerHash(h, fields, sig.Headers, unsigned, sig.HeaderCanon, 0)
			h.Sum(sum[:0])
		}
	})
	b.Run("rsa-verify", func(b *testing.B) {
		pub := key.Key.(*rsa.PublicKey)
		for b.Loop() {
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig.Data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
