package dkim

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// The DKIM-Signature parser as it was before it parsed into reused
// slices, decoded in place and looked tags up by index, kept as the
// reference the fast one must match on every input.

func refParseTagList(s string) ([]tag, error) {
	list, err := dkimkey.ParseTagList(s)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "dkimkey: tag-list: "))
	}
	tags := make([]tag, len(list))
	for i, t := range list {
		start := t.Offset + strings.IndexByte(s[t.Offset:], '=') + 1
		end := t.ValueEnd
		for end < len(s) && isFWSByte(s[end]) {
			end++
		}
		tags[i] = tag{name: t.Name, value: t.Value, start: start, end: end}
	}
	return tags, nil
}

func refParseSignature(value string, drafts bool) (*Signature, []tag, error) {
	sig := &Signature{BodyLength: -1}
	tags, err := refParseTagList(value)
	if err != nil {
		return sig, nil, sigErr(Neutral, "malformed-signature", "malformed DKIM-Signature: %v", err)
	}
	get := func(name string) (string, bool) {
		for _, t := range tags {
			if t.name == name {
				return t.value, true
			}
		}
		return "", false
	}
	// Record what identifies the signature first, for the report.
	if d, ok := get("d"); ok {
		sig.Domain = d
	}
	if s, ok := get("s"); ok {
		sig.Selector = s
	}
	if a, ok := get("a"); ok {
		sig.Algorithm = strings.ToLower(a)
	}
	sig.HeaderCanon, sig.BodyCanon = "simple", "simple"
	if c, ok := get("c"); ok {
		c = strings.ToLower(c)
		h, b, hasBody := strings.Cut(c, "/")
		sig.HeaderCanon = h
		if hasBody {
			sig.BodyCanon = b
		}
	}

	v, ok := get("v")
	switch {
	case !ok && drafts:
		v = "1"
	case !ok:
		return sig, tags, sigErr(Neutral, "missing-tag", "the signature has no v= tag (a signature from a draft before RFC 4871)")
	case v == "0.5" && drafts:
		v = "1"
	}
	sig.Version = v
	if v != "1" {
		return sig, tags, sigErr(Neutral, "unsupported-version", "unsupported signature version v=%s (only v=1 exists)", abbreviate(v))
	}
	for _, req := range []string{"a", "b", "bh", "d", "h", "s"} {
		if _, ok := get(req); !ok {
			return sig, tags, sigErr(Neutral, "missing-tag", "the signature has no %s= tag, which RFC 6376 requires", req)
		}
	}
	ka, ha, ok := strings.Cut(sig.Algorithm, "-")
	if !ok {
		return sig, tags, sigErr(Neutral, "unsupported-algorithm", "malformed algorithm a=%s", abbreviate(sig.Algorithm))
	}
	sig.KeyAlgorithm, sig.HashAlgorithm = ka, ha
	switch sig.Algorithm {
	case "rsa-sha256", "ed25519-sha256", "rsa-sha1":
	default:
		return sig, tags, sigErr(Neutral, "unsupported-algorithm", "unsupported algorithm a=%s (rsa-sha256 and ed25519-sha256 are the ones in use)", abbreviate(sig.Algorithm))
	}
	for _, c := range []string{sig.HeaderCanon, sig.BodyCanon} {
		if c != "simple" && c != "relaxed" {
			return sig, tags, sigErr(Neutral, "unsupported-canonicalization", "unsupported canonicalization c=%s (want simple or relaxed)", abbreviate(sig.Canonicalization()))
		}
	}
	if sig.Domain == "" {
		return sig, tags, sigErr(Neutral, "malformed-signature", "the signature has an empty d= tag")
	}
	if sig.Selector == "" {
		return sig, tags, sigErr(Neutral, "malformed-signature", "the signature has an empty s= tag")
	}
	if err := checkDomain(sig.Domain); err != nil {
		return sig, tags, sigErr(Neutral, "malformed-signature", "d=%s is not a domain name: %v", abbreviate(sig.Domain), err)
	}
	if err := checkDomain(sig.Selector); err != nil {
		return sig, tags, sigErr(Neutral, "malformed-signature", "s=%s is not a valid selector: %v", abbreviate(sig.Selector), err)
	}

	h, _ := get("h")
	sig.Headers = make([]string, 0, strings.Count(h, ":")+1)
	for rest, more := h, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ":")
		name = strings.Trim(name, " \t\r\n")
		if name == "" {
			return sig, tags, sigErr(Neutral, "malformed-signature", "h= has an empty header field name")
		}
		if strings.ContainsAny(name, " \t\r\n") {
			return sig, tags, sigErr(Neutral, "malformed-signature", "h= header field name %q contains whitespace", abbreviate(name))
		}
		sig.Headers = append(sig.Headers, name)
	}
	fromSigned := false
	for _, name := range sig.Headers {
		if strings.EqualFold(name, "from") {
			fromSigned = true
		}
	}
	if !fromSigned {
		return sig, tags, sigErr(Permerror, "from-not-signed", "h= does not include From, which RFC 6376 §5.4 requires to be signed")
	}

	bh, _ := get("bh")
	sig.BodyHash, err = refDecodeBase64FWS(bh)
	if err != nil || len(sig.BodyHash) == 0 {
		return sig, tags, sigErr(Neutral, "malformed-signature", "bh= is not valid base64")
	}
	b, _ := get("b")
	sig.Data, err = refDecodeBase64FWS(b)
	if err != nil || len(sig.Data) == 0 {
		return sig, tags, sigErr(Neutral, "malformed-signature", "b= is empty or not valid base64")
	}

	if i, ok := get("i"); ok {
		id, err := decodeQP(stripFWS(i))
		if err != nil {
			return sig, tags, sigErr(Neutral, "malformed-signature", "i= is malformed: %v", err)
		}
		sig.Identity = id
		sig.identityExplicit = true
		at := strings.LastIndexByte(id, '@')
		if at < 0 {
			return sig, tags, sigErr(Permerror, "identity-mismatch", "i=%s has no \"@\"", abbreviate(id))
		}
		idDomain := strings.ToLower(id[at+1:])
		d := strings.ToLower(sig.Domain)
		if idDomain != d && !strings.HasSuffix(idDomain, "."+d) {
			return sig, tags, sigErr(Permerror, "identity-mismatch", "i=%s is not in d=%s or a subdomain of it (RFC 6376 §3.5)", abbreviate(id), sig.Domain)
		}
	} else {
		sig.Identity = "@" + sig.Domain
	}

	if l, ok := get("l"); ok {
		n, err := strconv.ParseInt(stripFWS(l), 10, 64)
		if err != nil || n < 0 || len(stripFWS(l)) > 76 {
			return sig, tags, sigErr(Neutral, "malformed-signature", "l=%s is not a number of octets", abbreviate(l))
		}
		sig.BodyLength = n
	}
	if q, ok := get("q"); ok {
		found := false
		for _, m := range strings.Split(q, ":") {
			m = strings.ToLower(strings.Trim(m, " \t\r\n"))
			sig.QueryMethods = append(sig.QueryMethods, m)
			if m == "dns/txt" || m == "dns" {
				found = true
			}
		}
		if !found {
			return sig, tags, sigErr(Neutral, "unsupported-query-method", "unsupported key query method q=%s (only dns/txt exists)", abbreviate(q))
		}
	}
	if t, ok := get("t"); ok {
		n, err := parseUnixTime(t)
		if err != nil {
			return sig, tags, sigErr(Neutral, "malformed-signature", "t=%s is not a time: %v", abbreviate(t), err)
		}
		sig.Timestamp, sig.hasTimestamp = n, true
	}
	if x, ok := get("x"); ok {
		n, err := parseUnixTime(x)
		if err != nil {
			return sig, tags, sigErr(Neutral, "malformed-signature", "x=%s is not a time: %v", abbreviate(x), err)
		}
		sig.Expiration, sig.hasExpiration = n, true
		if sig.hasTimestamp && n < sig.Timestamp {
			return sig, tags, sigErr(Permerror, "malformed-signature", "x= (%d) is earlier than t= (%d)", n, sig.Timestamp)
		}
	}
	if z, ok := get("z"); ok {
		sig.CopiedHeaders = z
	}
	return sig, tags, nil
}

func refDecodeBase64FWS(s string) ([]byte, error) {
	if !strings.ContainsAny(s, " \t\r\n") {
		return base64.StdEncoding.DecodeString(s)
	}
	var stack [1024]byte
	clean := stack[:0]
	if len(s) > len(stack) {
		clean = make([]byte, 0, len(s))
	}
	for k := 0; k < len(s); k++ {
		if c := s[k]; !isFWSByte(c) {
			clean = append(clean, c)
		}
	}
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(dst, clean)
	return dst[:n], err
}

// sameSignature reports how parseSignature differs from the reference on
// value, or "".
func sameSignature(value string, drafts bool) string {
	want, wantTags, wantErr := refParseSignature(value, drafts)
	got, gotTags, gotErr := parseSignature(value, drafts)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("error %v, reference %v", gotErr, wantErr)
	}
	var ge, we *SignatureError
	if errors.As(gotErr, &ge) != errors.As(wantErr, &we) || ge != nil && *ge != *we {
		return fmt.Sprintf("error %+v, reference %+v", ge, we)
	}
	if !reflect.DeepEqual(gotTags, wantTags) && (len(gotTags) != 0 || len(wantTags) != 0) {
		return fmt.Sprintf("tags %+v, reference %+v", gotTags, wantTags)
	}
	// The decoded values are compared as octets (the reference allocates
	// them, the parser decodes into the Signature).
	g, w := *got, *want
	if !bytesEqual(g.BodyHash, w.BodyHash) || !bytesEqual(g.Data, w.Data) {
		return fmt.Sprintf("bh=%x b=%x, reference bh=%x b=%x", g.BodyHash, g.Data, w.BodyHash, w.Data)
	}
	g.BodyHash, w.BodyHash, g.Data, w.Data = nil, nil, nil, nil
	g.decoded, w.decoded = [len(g.decoded)]byte{}, [len(w.decoded)]byte{}
	if len(g.Headers) == 0 && len(w.Headers) == 0 {
		g.Headers, w.Headers = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("signature %+v, reference %+v", g, w)
	}
	if got.Canonicalization() != want.HeaderCanon+"/"+want.BodyCanon {
		return fmt.Sprintf("canonicalization %q", got.Canonicalization())
	}
	for _, tg := range gotTags {
		if tg.name == "b" && prefixNoFWS(tg.value, 8) != refAbbreviateB(dkimkey.RemoveFWS(tg.value)) {
			return fmt.Sprintf("signature prefix %q", prefixNoFWS(tg.value, 8))
		}
	}
	return ""
}

func bytesEqual(a, b []byte) bool {
	return string(a) == string(b) && (a == nil) == (b == nil) || len(a) == 0 && len(b) == 0
}

func refAbbreviateB(b string) string {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

// signatureInputs returns the DKIM-Signature (and ARC-Message-Signature)
// values of the conformance suites, folds included.
func signatureInputs(t *testing.T) []string {
	var out []string
	for _, dir := range []string{"../../testdata/conformance/dkim", "../../testdata/conformance/arc"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			text := strings.ReplaceAll(string(b), "\r\n", "\n")
			// JSON and YAML suites hold messages as strings with escapes.
			text = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\t`, "\t", `\"`, `"`).Replace(text)
			lines := strings.Split(text, "\n")
			for i, l := range lines {
				k := strings.Index(strings.ToLower(l), "dkim-signature:")
				if k < 0 {
					k = strings.Index(strings.ToLower(l), "arc-message-signature:")
				}
				if k < 0 {
					continue
				}
				value := l[strings.IndexByte(l[k:], ':')+k+1:]
				j := i + 1
				for j < len(lines) && j < i+100 && lines[j] != "" && (lines[j][0] == ' ' || lines[j][0] == '\t') {
					j++
				}
				out = append(out, strings.Join(append([]string{value}, lines[i+1:j]...), "\r\n"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestParseSignatureMatchesReference compares the parsers on every
// signature of the conformance suites and on mutations of them: each tag
// removed, cut short, emptied, folded, upper-cased, or given a bad octet.
func TestParseSignatureMatchesReference(t *testing.T) {
	inputs := signatureInputs(t)
	if len(inputs) < 100 {
		t.Fatalf("only %d signatures found in the conformance suites", len(inputs))
	}
	n, accepted := 0, 0
	check := func(v string) {
		for _, drafts := range []bool{false, true} {
			n++
			if _, _, err := refParseSignature(v, drafts); err == nil {
				accepted++
			}
			if d := sameSignature(v, drafts); d != "" {
				t.Fatalf("%q (drafts %v): %s", v, drafts, d)
			}
		}
	}
	edits := []func(name, value string) string{
		func(name, value string) string { return "" },                                // tag removed
		func(name, value string) string { return name + "=" },                        // emptied
		func(name, value string) string { return name + "=" + value[:len(value)/2] }, // cut short
		func(name, value string) string { return " " + name + " =\r\n\t" + value + "\r\n " },
		func(name, value string) string { return name + "=" + strings.ToUpper(value) },
		func(name, value string) string { return name + "=" + value + "\x01" },
		func(name, value string) string { return name + "=" + value + " x" },
		func(name, value string) string { return name + "=" + value + ":" },
		func(name, value string) string { return name + "=" + strings.ReplaceAll(value, ":", " : ") },
		func(name, value string) string { return name + "=" + value + "=3D" },
		func(name, value string) string { return name + "=-" + value },
		func(name, value string) string { return name + "=" + value + "; " + name + "=" + value }, // duplicate
		func(name, value string) string { return name + "=" + value + "\r\nx" },
	}
	for _, in := range inputs {
		check(in)
		tags, err := refParseTagList(in)
		if err != nil {
			continue
		}
		for k := range tags {
			for _, edit := range edits {
				var parts []string
				for j, tg := range tags {
					if j == k {
						if e := edit(tg.name, tg.value); e != "" {
							parts = append(parts, e)
						}
						continue
					}
					parts = append(parts, in[strings.LastIndex(in[:tg.start], tg.name):tg.end])
				}
				check(strings.Join(parts, ";"))
			}
		}
	}
	if accepted < 100 || n-accepted < 1000 {
		t.Fatalf("%d inputs, %d accepted: too few of one kind", n, accepted)
	}
	t.Logf("%d inputs, %d accepted, parsed alike", n, accepted)
}

func FuzzParseSignatureMatchesReference(f *testing.F) {
	f.Add(" v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; t=1700000000; h=from:to; bh=AAAA; b=AAAA", false)
	f.Add(" v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n subject : date : message-id : from : subject : date;\r\n bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==", false)
	f.Add("v=1; a=rsa-sha1; c=simple; d=messiah.edu; h=from; q=dns; s=s; l=12; x=2; t=1; i=jlong=40messiah.edu; bh=AA==; b=AA==;", true)
	f.Add("a=rsa-sha256; d=x; s=y; h=From; bh=A A==; b=\tAA\r\n AA; z=a|b", true)
	f.Fuzz(func(t *testing.T, value string, drafts bool) {
		if d := sameSignature(value, drafts); d != "" {
			t.Fatalf("%q: %s", value, d)
		}
	})
}

func TestPrefixNoFWS(t *testing.T) {
	for _, s := range []string{"", "abc", "abcdefgh", "abcdefghij", "ab cd\r\n efghij", " \t", "abcdefg h", "a\r\n\tb", "abcdefgh ij"} {
		if got, want := prefixNoFWS(s, 8), refAbbreviateB(dkimkey.RemoveFWS(s)); got != want {
			t.Errorf("prefixNoFWS(%q) = %q, want %q", s, got, want)
		}
	}
}

var base64Samples = []string{"", "AAAA", "AA==", " A A = = ", "AAAA\r\n\tBBBB", "A", "!!!!", "QUJD\x00",
	"AA=", "AA= =", "AAA==", "A===", "AAAA=", "AA==AAAA", "AA==\r\n", "=AAA", "AAAA AAA", "AAA=\t", "AB==", "ABC=",
	"AAAAAAAAAAAA", "AAAAAAAA=AAA", "AAAA\x01AAA", "////++++", "-_-_", "AAAA\r\n", "\r\n AAAA", "AA\r\n ==", "AA=\r\n =x"}

// sameBase64 compares decodeBase64FWS with the reference (strip the
// whitespace, then base64.StdEncoding): the same octets, and an error for
// the same inputs.
func sameBase64(t *testing.T, s string) {
	t.Helper()
	want, wantErr := refDecodeBase64FWS(s)
	for _, dst := range [][]byte{nil, make([]byte, 0, 4), make([]byte, 3, 1024)} {
		got, err := decodeBase64FWS(dst, s)
		if (err == nil) != (wantErr == nil) || string(got) != string(want) {
			t.Fatalf("decodeBase64FWS(%q) = %q, %v; want %q, %v", s, got, err, want, wantErr)
		}
		if string(dst) != strings.Repeat("\x00", len(dst)) {
			t.Fatalf("decodeBase64FWS(%q) wrote over dst", s)
		}
	}
}

func TestDecodeBase64FWS(t *testing.T) {
	long := strings.Repeat("QUJD\r\n ", 300)
	for _, s := range append(base64Samples, long, strings.TrimSpace(long), long+"QQ==", long+"QUI=") {
		sameBase64(t, s)
	}
}

func FuzzDecodeBase64FWS(f *testing.F) {
	for _, s := range base64Samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameBase64(t, s) })
}
