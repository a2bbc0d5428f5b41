package arc

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var sealSeeds = []string{
	" i=1; a=rsa-sha256; t=12345; cv=none; d=example.org; s=dummy; b=AAAA",
	"a=rsa-sha256;\r\n    b=RkKDOauVsqcsTEFv6NVE6J0sxj8LUE4kfwRzs0CvMg/+KOqRDQoFxxJsJkI77EHZqcSgwr\r\n    QKpt6aKsl2zyUovVhAppT65S0+vo+h3utd3f8jph++1uiAUhVf57PihDC/GcdhyRGa6YNQGh\r\n    GoArSHaJKb06/qF5OBif8o9lmRC8E=; cv=none; d=example.org; i=1; s=dummy;\r\n    t=12345",
	"i=50; a=ed25519-sha256; cv=pass; d=lists.example; s=ed; b=AA==; x-unknown=1;",
	"i=1; a=rsa-sha256; cv=fail; d=a; s=b; b=AA; h=from", "i=0", "i=51", "i=1;;", "", ";", "i=1; cv=Pass",
}

var amsSeeds = []string{
	" i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=dummy; t=12345; h=from:to; bh=AAAA; b=AAAA",
	"a=rsa-sha256; b=fv7K; bh=hhFb; c=simple/simple; d=example.org; h=From:To::Date; i=1; s=dummy; t=12345",
	"i=2; a=ed25519-sha256; d=x.example; s=s; h=; bh=AA==; b=AA==; l=10; x=99999; q=dns/txt; v=1",
	"i=1; a=rsa-sha256; d=x; s=y; h=arc-seal; bh=AA; b=AA", "i=1; c=pancake/waffle", "i=a", "i=1; t=1 2", "",
}

var aarSeeds = []string{
	" i=1; lists.example.org;\r\n    spf=pass smtp.mfrom=jqd@d1.example;\r\n    dkim=pass (1024-bit key) header.i=@d1.example;\r\n    dmarc=pass",
	"(comment) i = 2 ; mx.example 1; none", "i=1; x; arc=none header.oldest-pass=0", "lists.example.org; i=1;",
	"i=1 lists.example.org", "i=squanch; a", "i=1;", "i=1; (unterminated", `i=1; id; spf=pass reason="a;b"`, "",
}

// FuzzParseSeal: the ARC-Seal parser never panics, returns only
// *ParseError, and what it accepts has every required tag.
func FuzzParseSeal(f *testing.F) {
	for _, s := range sealSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		s, err := ParseSeal(value)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Code == "" || !strings.HasPrefix(err.Error(), "arc: ARC-Seal: ") {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if s.Instance < 1 || s.Instance > MaxInstance || s.Domain == "" || s.Selector == "" || len(s.Signature) == 0 {
			t.Fatalf("accepted %+v", s)
		}
		switch s.ChainValidation {
		case None, Pass, Fail:
		default:
			t.Fatalf("cv=%q accepted", s.ChainValidation)
		}
	})
}

// FuzzParseMessageSignature: the ARC-Message-Signature parser never
// panics, and what it accepts is usable: a known canonicalization, a body
// hash, no ARC-Seal in h=.
func FuzzParseMessageSignature(f *testing.F) {
	for _, s := range amsSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		m, err := ParseMessageSignature(value)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Code == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if m.Instance < 1 || m.Instance > MaxInstance || len(m.BodyHash) == 0 || len(m.Signature) == 0 {
			t.Fatalf("accepted %+v", m)
		}
		for _, c := range []string{m.HeaderCanon, m.BodyCanon} {
			if c != "simple" && c != "relaxed" {
				t.Fatalf("canonicalization %q accepted", c)
			}
		}
		for _, h := range m.Headers {
			if h == "" || strings.EqualFold(h, SealField) {
				t.Fatalf("h= name %q accepted", h)
			}
		}
	})
}

// FuzzParseAuthResults: the ARC-Authentication-Results parser and the
// resinfo splitting never panic; an accepted value has an instance and an
// authserv-id, and ParseResults takes any payload.
func FuzzParseAuthResults(f *testing.F) {
	for _, s := range aarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		ar, err := ParseAuthResults(value)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if ar.Instance < 1 || ar.Instance > MaxInstance || ar.AuthServID == "" {
			t.Fatalf("accepted %+v", ar)
		}
		ParseResults(ar.Results)
	})
}

// FuzzValidate: validating any message never panics nor returns an error
// for a message with a header, and the result is one of the four.
func FuzzValidate(f *testing.F) {
	f.Add("ARC-Seal:" + sealSeeds[0] + "\r\nARC-Message-Signature:" + amsSeeds[0] + "\r\nARC-Authentication-Results:" + aarSeeds[0] + "\r\nFrom: a@b.example\r\n\r\nbody\r\n")
	f.Add(baseMessage)
	f.Add("ARC-Seal: i=2; cv=fail; a=rsa-sha256; d=a.example; s=s; b=AA\r\n\r\n")
	v := NewValidator(fake(map[string]string{"dummy._domainkey.example.org": "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"}), ValidateOptions{Now: at(1700000000)})
	f.Fuzz(func(t *testing.T, msg string) {
		res, err := v.Validate(context.Background(), strings.NewReader(msg))
		if err != nil {
			return
		}
		switch res.Result {
		case None, Pass, Fail, Temperror:
		default:
			t.Fatalf("result %q", res.Result)
		}
		if res.Result != Pass && res.Result != None && len(res.Findings()) != 1 {
			t.Fatalf("%s without a finding", res.Result)
		}
		res.AuthResultsProperty(AuthResultsOptions{Chain: true})
	})
}
