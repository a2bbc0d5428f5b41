package peer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	edKey    ed25519.PrivateKey
	zone     *dnstest.Fake
	records  map[string]*dns.Answer
)

// setup makes the keys and publishes them in an in-memory zone; both
// libraries' key lookups answer from the same prepared answers, so neither
// pays for DNS.
func setup(b *testing.B) {
	keysOnce.Do(func() {
		var err error
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		edKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
		der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		zone = dnstest.NewFake()
		zone.Add(`rsa._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=` + base64.StdEncoding.EncodeToString(der) + `"`)
		zone.Add(`ed._domainkey.example.com. TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey)) + `"`)
		records = map[string]*dns.Answer{}
		for _, n := range []string{"rsa._domainkey.example.com", "ed._domainkey.example.com"} {
			a, err := zone.Query(context.Background(), n, dns.TypeTXT)
			if err != nil {
				panic(err)
			}
			records[n] = a
		}
	})
}

var resolver = dns.ResolverFunc(func(_ context.Context, name string, _ uint16) (*dns.Answer, error) {
	if a, ok := records[name]; ok {
		return a, nil
	}
	return &dns.Answer{Name: name, RCode: dns.RcodeNXDomain, Records: []dns.Record{}}, nil
})

func lookupTXT(name string) ([]string, error) {
	return records[strings.TrimSuffix(name, ".")].TXT(), nil
}

// message builds a message of about size octets: a realistic header and a
// text body of 76-octet lines (the same as pkg/dkim's benchmarks).
func message(size int) []byte {
	var b strings.Builder
	b.WriteString("Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n\tby mx.example.com with ESMTPS id 4Xyz; Mon, 23 Nov 2026 10:00:00 +0000\r\n")
	b.WriteString("From: Joe SixPack <joe@example.com>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Quarterly report\r\n")
	b.WriteString("Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <20261123100000.12345@example.com>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog;  pack my box with five dozen.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String())
}

var sizes = []struct {
	name string
	size int
}{{"2KB", 2 << 10}, {"1MB", 1 << 20}}

type key struct {
	name     string
	selector string
	signer   func() crypto.Signer
}

var keys = []key{
	{"rsa2048", "rsa", func() crypto.Signer { return rsaKey }},
	{"ed25519", "ed", func() crypto.Signer { return edKey }},
}

var now = time.Unix(1800000000, 0)

func signed(b *testing.B, k key, size int) []byte {
	var out bytes.Buffer
	opts := dkim.SignOptions{Domain: "example.com", Selector: k.selector, Signer: k.signer(), Now: func() time.Time { return now }}
	if err := dkim.Sign(&out, bytes.NewReader(message(size)), opts); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

func rate(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s") }

// BenchmarkVerify: Ours is dkim.Verifier.Verify, Msgauth is
// msgauth.VerifyWithOptions, on the same signed message.
func BenchmarkVerify(b *testing.B) {
	setup(b)
	for _, k := range keys {
		for _, s := range sizes {
			msg := signed(b, k, s.size)
			b.Run("Ours/"+k.name+"/"+s.name, func(b *testing.B) {
				v := dkim.NewVerifier(resolver, dkim.VerifyOptions{Now: func() time.Time { return now }})
				r := bytes.NewReader(msg)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					res, err := v.Verify(context.Background(), r)
					if err != nil || len(res) != 1 || res[0].Result != dkim.Pass {
						b.Fatalf("%v %+v", err, res)
					}
				}
				rate(b)
			})
			b.Run("Msgauth/"+k.name+"/"+s.name, func(b *testing.B) {
				opts := &msgauth.VerifyOptions{LookupTXT: lookupTXT}
				r := bytes.NewReader(msg)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					res, err := msgauth.VerifyWithOptions(r, opts)
					if err != nil || len(res) != 1 || res[0].Err != nil {
						b.Fatalf("%v %+v", err, res)
					}
				}
				rate(b)
			})
		}
	}
}

// BenchmarkSign: relaxed/relaxed, the same default header fields signed,
// the message written out with its signature by both.
func BenchmarkSign(b *testing.B) {
	setup(b)
	for _, k := range keys {
		for _, s := range sizes {
			msg := message(s.size)
			b.Run("Ours/"+k.name+"/"+s.name, func(b *testing.B) {
				opts := dkim.SignOptions{Domain: "example.com", Selector: k.selector, Signer: k.signer(), Now: func() time.Time { return now }}
				r := bytes.NewReader(msg)
				var out bytes.Buffer
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					out.Reset()
					if err := dkim.Sign(&out, r, opts); err != nil {
						b.Fatal(err)
					}
				}
				rate(b)
			})
			b.Run("Msgauth/"+k.name+"/"+s.name, func(b *testing.B) {
				opts := &msgauth.SignOptions{
					Domain: "example.com", Selector: k.selector, Signer: k.signer(),
					HeaderCanonicalization: msgauth.CanonicalizationRelaxed, BodyCanonicalization: msgauth.CanonicalizationRelaxed,
					HeaderKeys: dkim.DefaultHeaders,
				}
				r := bytes.NewReader(msg)
				var out bytes.Buffer
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					r.Reset(msg)
					out.Reset()
					if err := msgauth.Sign(&out, r, opts); err != nil {
						b.Fatal(err)
					}
				}
				rate(b)
			})
		}
	}
}
