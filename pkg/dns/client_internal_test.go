package dns

import (
	"bytes"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// FuzzClientDecode feeds arbitrary replies to the answer decoder: it must
// not panic, must end any CNAME chain (loops included) within the bound, and
// must keep only records of the asked type owned by the end of the chain.
func FuzzClientDecode(f *testing.F) {
	seed := func(rrs ...string) {
		m := new(mdns.Msg)
		m.SetQuestion("a.example.test.", mdns.TypeTXT)
		m.Response = true
		for _, s := range rrs {
			rr, err := mdns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire)
	}
	seed(`a.example.test. 300 IN TXT "v=spf1 -all"`)
	seed("a.example.test. 300 IN CNAME b.example.test.", `B.Example.Test. 300 IN TXT "x" "y"`)
	seed("a.example.test. 300 IN CNAME b.example.test.", "b.example.test. 300 IN CNAME a.example.test.")
	seed("a.example.test. 300 IN CNAME b.example.test.", "b.example.test. 300 IN A 192.0.2.1")
	seed(`other.example.test. 300 IN TXT "stray"`)
	f.Fuzz(func(t *testing.T, wire []byte) {
		m := new(mdns.Msg)
		if m.Unpack(wire) != nil || len(m.Question) != 1 {
			return
		}
		q := m.Question[0]
		name := CanonicalName(q.Name)
		if name == "" {
			return
		}
		a, err := clientDecode(m, name, q.Qtype, "udp://192.0.2.53:53")
		if err != nil {
			// Only a loop or an over-long chain is an error, with the
			// chain beside it and no records.
			if !IsCNAMEChainError(err) || IsTemporary(err) || a == nil || len(a.Records) != 0 || a.RCode != RcodeServFail || len(a.CNAMEs) > MaxCNAMEs+1 {
				t.Fatalf("err = %v, answer %+v", err, a)
			}
			return
		}
		if len(a.CNAMEs) > MaxCNAMEs {
			t.Fatalf("%d CNAMEs followed", len(a.CNAMEs))
		}
		seen := map[string]bool{name: true}
		for _, c := range a.CNAMEs {
			if seen[c] {
				t.Fatalf("CNAME chain %q from %q loops", a.CNAMEs, name)
			}
			seen[c] = true
		}
		owner := name
		if len(a.CNAMEs) > 0 {
			owner = a.CNAMEs[len(a.CNAMEs)-1]
		}
		for _, r := range a.Records {
			if r.Type != q.Qtype || r.Name != owner {
				t.Fatalf("record %s %s kept for %s %s (chain %q)", r.Name, TypeString(r.Type), name, TypeString(q.Qtype), a.CNAMEs)
			}
		}
		if a.Records == nil || a.Name != name || a.RCode != m.Rcode {
			t.Fatalf("answer %+v", a)
		}
	})
}

// TestPackQuery: the hand-built query is byte for byte what miekg/dns packs,
// for plain names, odd octets, escapes and names miekg refuses.
func TestPackQuery(t *testing.T) {
	long := strings.Repeat("a", 63)
	names := []string{
		"example.test.", "a.b.c.example.test.", "_dmarc.example.test.", "x y.example.test.",
		"\"quoted\".example.test.", "\x00\xff.example.test.", `a\.b.example.test.`, `a\\b.example.test.`, `a\046b.example.test.`,
		long + "." + long + "." + long + ".", long + "a.example.test.", "a..b.example.test.", ".example.test.",
		strings.Repeat("a.", 127), strings.Repeat("ab.", 85),
	}
	for _, name := range names {
		for _, edns := range []bool{true, false} {
			for _, qt := range []uint16{TypeTXT, TypeAAAA, 65535} {
				got, gerr := packQuery(name, qt, 1232, edns)
				want, werr := clientPack(name, qt, 1232, edns)
				if (gerr != nil) != (werr != nil) || !bytes.Equal(got, want) {
					t.Errorf("%q %d edns=%v:\n got %x %v\nwant %x %v", name, qt, edns, got, gerr, want, werr)
				}
			}
		}
	}
}
