package dkim

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// The relaxed header canonicalization as it was before it copied runs,
// kept as the reference.
func refAppendCanonicalHeader(dst []byte, field, canon string) []byte {
	if canon == "simple" {
		return append(dst, field...)
	}
	colon := strings.IndexByte(field, ':')
	name, value := field, ""
	if colon >= 0 {
		name, value = field[:colon], field[colon+1:]
	}
	for len(name) > 0 && isWSP(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	for k := 0; k < len(name); k++ {
		c := name[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	dst = append(dst, ':')
	// Unfold, reduce every run of WSP to one space, drop WSP at both ends.
	wsp := false
	started := false
	for k := 0; k < len(value); k++ {
		c := value[k]
		switch c {
		case '\r', '\n':
			continue
		case ' ', '\t':
			wsp = true
			continue
		}
		if wsp && started {
			dst = append(dst, ' ')
		}
		wsp = false
		started = true
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

var headerSamples = []string{
	"From: Joe SixPack <joe@example.com>\r\n",
	"SUBJECT :  a \r\n\tb\r\n",
	"Subject:\r\n",
	"X:\t \r\n \r\n",
	"Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n\tby mx.example.com with ESMTPS id 4Xyz; Mon, 23 Nov 2026\r\n",
	"X-Ctl: a\x00b \x01 c\x7f\xffd\r\n",
	"NoColon\r\n",
	"A  B:x\r\n",
	"x: a\rb\nc  \r\n",
	"Dkim-Signature: v=1; b=ab\r\n\tcd ; bh=x",
}

func TestAppendCanonicalHeaderMatchesReference(t *testing.T) {
	for _, f := range headerSamples {
		for _, canon := range []string{"simple", "relaxed"} {
			got := string(appendCanonicalHeader([]byte("pre"), f, canon))
			want := string(refAppendCanonicalHeader([]byte("pre"), f, canon))
			if got != want {
				t.Errorf("%s %q: %q, reference %q", canon, f, got, want)
			}
		}
	}
}

func FuzzAppendCanonicalHeaderMatchesReference(f *testing.F) {
	for _, s := range headerSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got := string(appendCanonicalHeader(nil, field, "relaxed"))
		want := string(refAppendCanonicalHeader(nil, field, "relaxed"))
		if got != want {
			t.Fatalf("%q: %q, reference %q", field, got, want)
		}
		// The field in two pieces (a signature with its b= cut out) gives
		// what the joined field gives.
		for _, cut := range []int{0, len(field) / 3, len(field) / 2, len(field)} {
			for _, canon := range []string{"simple", "relaxed"} {
				got := string(appendCanonicalHeader2([]byte("x"), field[:cut], field[cut:], canon))
				want := string(refAppendCanonicalHeader([]byte("x"), field, canon))
				if got != want {
					t.Fatalf("%s %q | %q: %q, reference %q", canon, field[:cut], field[cut:], got, want)
				}
			}
		}
	})
}

var foldSamples = []string{
	"", "from", "From", "FROM", "fro", "from2", "to", "To", "x-a", "X-A", "x_a", "x@a", "x`a",
	"k", "K", "\u212a", "\u212aey", "key", "s", "\u017f", "\u017fubject", "subject", "Subject",
	"\xff", "\xc5", "\xc5\xbf", "[", "{", "@", "`", "received", "Received",
}

func TestFoldEqual(t *testing.T) {
	for _, a := range foldSamples {
		for _, b := range foldSamples {
			if got, want := foldEqual(a, b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldEqual(%q, %q) = %v, EqualFold says %v", a, b, got, want)
			}
		}
	}
}

func FuzzFoldEqual(f *testing.F) {
	for _, a := range foldSamples {
		f.Add(a, "From")
		f.Add(a, "k")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := foldEqual(a, b), strings.EqualFold(a, b); got != want {
			t.Fatalf("foldEqual(%q, %q) = %v, EqualFold says %v", a, b, got, want)
		}
	})
}

// FuzzBodyCanonicalizer: the streaming canonicalizers (runs copied whole,
// whitespace and line ends settled inside the fast path) give what the
// RFC transcription referenceCanon gives, whatever the pieces written, and
// the raw one (bare LFs as line ends) what converting them first gives.
func FuzzBodyCanonicalizer(f *testing.F) {
	f.Add([]byte("The quick brown fox;  pack my box.\r\nLine two\t end \r\n\r\n"), uint8(7))
	f.Add([]byte("a \r\n  b\n\tc\r\rd\x00 \x01e  \r\n"), uint8(1))
	f.Add([]byte(" \t\r\n\n\r"), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, piece uint8) {
		size := 1 + int(piece)%64
		// referenceCanon works on runes: keep to valid UTF-8.
		body = bytes.ToValidUTF8(body, []byte("?"))
		for _, canon := range []string{"simple", "relaxed"} {
			var got bytes.Buffer
			c := newBodyCanonicalizer(&got, canon)
			for rest := body; len(rest) > 0; rest = rest[min(size, len(rest)):] {
				c.Write(rest[:min(size, len(rest))])
			}
			c.Close()
			c.release()
			if want := referenceCanon(string(body), canon); got.String() != want {
				t.Fatalf("%s %q:\n got %q\nwant %q", canon, body, got.String(), want)
			}

			var conv bytes.Buffer
			cr := newCRLFReader(bytes.NewReader(body))
			io.Copy(&conv, cr)
			cr.release()
			var raw bytes.Buffer
			rc := newRawBodyCanonicalizer(&raw, canon)
			for rest := body; len(rest) > 0; rest = rest[min(size, len(rest)):] {
				rc.Write(rest[:min(size, len(rest))])
			}
			rc.Close()
			rc.release()
			if want := referenceCanon(conv.String(), canon); raw.String() != want {
				t.Fatalf("raw %s %q:\n got %q\nwant %q", canon, body, raw.String(), want)
			}
		}
	})
}

// refPickHeaders is pickHeaders as it was: every pair compared with
// strings.EqualFold.
func refPickHeaders(fields []headerField, names []string, skip int, fn func(string)) {
	for i, name := range names {
		n := 0
		for _, prev := range names[:i] {
			if strings.EqualFold(prev, name) {
				n++
			}
		}
		for k := len(fields) - 1; k >= 0; k-- {
			if k == skip || !strings.EqualFold(fields[k].name, name) {
				continue
			}
			if n == 0 {
				fn(fields[k].raw)
				break
			}
			n--
		}
	}
}

// pickMatches compares pickHeaders with the reference for the header
// whose field names are fieldNames and the h= names names.
func pickMatches(t *testing.T, fieldNames, names []string, skip int) {
	t.Helper()
	var fields []headerField
	for k, n := range fieldNames {
		fields = append(fields, headerField{name: n, raw: fmt.Sprintf("%s: %d\r\n", n, k)})
	}
	var got, want []string
	pickHeaders(fields, names, skip, func(raw string) { got = append(got, raw) })
	refPickHeaders(fields, names, skip, func(raw string) { want = append(want, raw) })
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("fields %q names %q skip %d:\n got %q\nwant %q", fieldNames, names, skip, got, want)
	}
}

var pickNames = []string{"From", "from", "FROM", "To", "to", "Subject", "subject", "Date", "Message-ID", "message-id",
	"X-A", "x-a", "x-b", "Kelvin", "\u212aelvin", "kelvin", "\u017fubject", "S", "s", "\u017f", "Content-Type", "content-type", "C", "c@", "C`"}

func TestPickHeadersMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		var fieldNames, names []string
		for range rng.IntN(80) {
			if n := pickNames[rng.IntN(len(pickNames))]; n[0] < 0x80 && n[len(n)-1] < 0x80 {
				fieldNames = append(fieldNames, n) // field names are ASCII
			}
		}
		for range rng.IntN(33) {
			names = append(names, pickNames[rng.IntN(len(pickNames))])
		}
		pickMatches(t, fieldNames, names, rng.IntN(len(fieldNames)+1)-1)
	}
}

func FuzzPickHeaders(f *testing.F) {
	f.Add("From:To:from:Subject", "from:from:to:subject:x", 1)
	f.Add("Kelvin:S:s", "\u212aelvin:\u017f:s", -1)
	f.Fuzz(func(t *testing.T, fieldList, nameList string, skip int) {
		var fieldNames []string
		for _, n := range strings.Split(fieldList, ":") {
			if n != "" && strings.IndexFunc(n, func(r rune) bool { return r <= ' ' || r >= 0x7f }) < 0 {
				fieldNames = append(fieldNames, n)
			}
		}
		names := strings.Split(nameList, ":")
		if len(names) > 32 || len(fieldNames) > 200 {
			return
		}
		pickMatches(t, fieldNames, names, skip%(len(fieldNames)+1))
	})
}
