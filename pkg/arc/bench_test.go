package arc

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// benchResolver answers from what env publishes, without locking or
// recording, so that the benchmarks measure ARC, not the test double.
func benchResolver(b *testing.B, env *testEnv) dns.Resolver {
	answers := map[string]*dns.Answer{}
	for _, name := range []string{"rsa._domainkey.forwarder.example", "ed._domainkey.lists.example"} {
		a, err := env.dns.Query(context.Background(), name, dns.TypeTXT)
		if err != nil {
			b.Fatal(err)
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

// benchBody is a 50 KB text body.
func benchBody() string {
	var b strings.Builder
	for b.Len() < 50<<10 {
		b.WriteString("The quick brown fox jumps over the lazy dog;  pack my box with five dozen.\r\n")
	}
	return b.String()
}

// BenchmarkValidate validates a 3-set chain (RSA-2048, Ed25519, RSA-2048)
// on a 50 KB message: three body hashes share one pass, three message
// signatures and three seals are verified.
func BenchmarkValidate(b *testing.B) {
	env := newEnv(b)
	msg := strings.TrimSuffix(baseMessage, "Hello.\r\n") + benchBody()
	for _, who := range []string{"forwarder", "list", "forwarder"} {
		msg, _ = env.seal(b, who, msg, nil)
	}
	v := NewValidator(benchResolver(b, env), ValidateOptions{Now: env.now})
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.Validate(context.Background(), strings.NewReader(msg))
		if err != nil || res.Result != Pass || res.Instance != 3 {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkSeal adds a third set to a 2-set chain on a 50 KB message: the
// chain is validated (cv=pass), then the new set is signed, with RSA-2048
// and with Ed25519.
func BenchmarkSeal(b *testing.B) {
	env := newEnv(b)
	msg := strings.TrimSuffix(baseMessage, "Hello.\r\n") + benchBody()
	for _, who := range []string{"forwarder", "list"} {
		msg, _ = env.seal(b, who, msg, nil)
	}
	res := benchResolver(b, env)
	for _, who := range []string{"forwarder", "list"} {
		name := map[string]string{"forwarder": "rsa-2048", "list": "ed25519"}[who]
		b.Run(name, func(b *testing.B) {
			opts := SealOptions{AuthServID: "mx.example", Now: env.now}
			if who == "forwarder" {
				opts.Domain, opts.Selector, opts.Signer = "forwarder.example", "rsa", env.rsa
			} else {
				opts.Domain, opts.Selector, opts.Signer = "lists.example", "ed", env.ed
			}
			s, err := NewSealer(NewValidator(res, ValidateOptions{Now: env.now}), opts)
			if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				sealed, err := s.Seal(context.Background(), &out, strings.NewReader(msg), nil)
				if err != nil || sealed.ChainValidation != Pass {
					b.Fatalf("%v %+v", err, sealed)
				}
			}
		})
	}
}
