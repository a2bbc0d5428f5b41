package dkim

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// FuzzParseSignature: the DKIM-Signature parser never panics, and what it
// accepts is consistent: required tags present, From signed, the b= region
// inside the input and removable.
func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{
		" v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; t=1700000000; h=from:to; bh=AAAA; b=AAAA",
		" v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n subject : date : message-id : from : subject : date;\r\n bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
		"v=1; a=rsa-sha1; c=simple; d=messiah.edu; h=from; q=dns; s=s; l=12; x=2; t=1; i=jlong=40messiah.edu; bh=AA==; b=AA==;",
		"synerr", "", ";", "v=1;;", "a=b=c", "v=1; b=", " b = x ; bh= y",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, value string, drafts bool) {
		sig, tags, err := parseSignature(value, drafts)
		if sig == nil {
			t.Fatal("nil signature")
		}
		if err != nil {
			if _, ok := err.(*SignatureError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if sig.Domain == "" || sig.Selector == "" || len(sig.BodyHash) == 0 || len(sig.Data) == 0 {
			t.Fatalf("accepted without a required tag: %+v", sig)
		}
		from := false
		for _, h := range sig.Headers {
			if strings.EqualFold(h, "from") {
				from = true
			}
		}
		if !from {
			t.Fatal("accepted without From in h=")
		}
		for _, tg := range tags {
			if tg.start < 0 || tg.start > tg.end || tg.end > len(value) {
				t.Fatalf("tag %q region [%d,%d) outside %d", tg.name, tg.start, tg.end, len(value))
			}
			if tg.name == "b" {
				unsigned := value[:tg.start] + value[tg.end:]
				// Emptying b= leaves a tag-list whose b= is empty.
				again, err := parseTagList(unsigned)
				if err != nil {
					t.Fatalf("b= removed %q: %v", unsigned, err)
				}
				for _, a := range again {
					if a.name == "b" && a.value != "" {
						t.Fatalf("b= not emptied: %q", unsigned)
					}
				}
			}
		}
	})
}

// FuzzVerify: any message, verified against a fixed key set, gives results
// or an error, never a panic.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(signWith(f, testMessage, edOpts())))
	f.Add([]byte("From: a@example.com\n\nbody"))
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; l=3; bh=AAAA; b=AAAA\r\n\r\n"))
	res := benchResolver()
	v := NewVerifier(res, VerifyOptions{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		rs, err := v.Verify(context.Background(), bytes.NewReader(msg))
		if err != nil && len(rs) > 0 {
			t.Fatal("results beside an error")
		}
		for _, r := range rs {
			switch r.Result {
			case Pass, Fail, Neutral, Policy, Temperror, Permerror:
			default:
				t.Fatalf("result %q", r.Result)
			}
			if r.Code == "" {
				t.Fatal("no code")
			}
		}
	})
}
