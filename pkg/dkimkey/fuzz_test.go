package dkimkey

import (
	"errors"
	"testing"
)

func FuzzParseTagList(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=abc", "a=1;;b=2", "a=1; a=2", " a = b c ; ", "a=1;\r\n\tb=2", "a=x\r\ny",
		"n=caf\u00e9", "=", ";", "a", "a=\xff", "v=DKIM1; h=sha256:sha1; s=*; t=y:s; n=x=20y; p=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseTagList(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("bad error for %q: %v", s, err)
			}
			return
		}
		if len(l) == 0 {
			t.Fatalf("%q: no tags and no error", s)
		}
		seen := map[string]bool{}
		for _, tag := range l {
			if seen[tag.Name] {
				t.Fatalf("%q: duplicate %q accepted", s, tag.Name)
			}
			seen[tag.Name] = true
			if s[tag.ValueStart:tag.ValueEnd] != tag.Value || s[tag.Offset:tag.Offset+len(tag.Name)] != tag.Name {
				t.Fatalf("%q: offsets of %q wrong", s, tag.Name)
			}
		}
		// Writing the list back and parsing it again gives the same tags.
		l2, err := ParseTagList(l.String())
		if err != nil {
			t.Fatalf("%q: String() = %q does not parse: %v", s, l.String(), err)
		}
		if len(l2) != len(l) {
			t.Fatalf("%q: round trip changed the tag count", s)
		}
		for i := range l {
			if l[i].Name != l2[i].Name || l[i].Value != l2[i].Value {
				t.Fatalf("%q: round trip changed %q=%q to %q=%q", s, l[i].Name, l[i].Value, l2[i].Name, l2[i].Value)
			}
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{
		rfc8463RSA, rfc8463Ed25519, "v=DKIM1; p=", "k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"v=DKIM1; h=sha1:sha256; s=email:tlsrpt; t=y:s; n=a=20b; x=1; p=", "v=DKIM1: g=*; k=rsa; p=", "p=AAAA", "p=abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			var re *RecordError
			if r != nil || !errors.As(err, &re) || re.Kind == nil {
				t.Fatalf("%q: bad error %v (record %v)", s, err, r)
			}
			return
		}
		if r.Revoked() != (r.PublicKey == nil) {
			t.Fatalf("%q: revoked %v but key %v", s, r.Revoked(), r.PublicKey)
		}
		// The canonical form parses to the same key.
		c := r.String()
		r2, err := ParseRecord(c)
		if err != nil {
			t.Fatalf("%q: String() = %q does not parse: %v", s, c, err)
		}
		if r2.KeyType != r.KeyType || r2.Revoked() != r.Revoked() || r2.Testing() != r.Testing() ||
			r2.StrictSubdomains() != r.StrictSubdomains() || r2.AllowsService("email") != r.AllowsService("email") ||
			r2.AllowsHash("sha256") != r.AllowsHash("sha256") || r2.Bits() != r.Bits() {
			t.Fatalf("%q: canonical %q reads differently", s, c)
		}
		if !r.Revoked() && !SamePublicKey(r.PublicKey, r2.PublicKey) {
			t.Fatalf("%q: canonical %q holds another key", s, c)
		}
		if c2 := r2.String(); c2 != c {
			t.Fatalf("String is not stable: %q then %q", c, c2)
		}
	})
}
