package arc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// TestSignSuite runs the 17 tests of the ValiMail ARC signing suite
// (INDEX.md §4.1): each message is sealed with the scenario's key, the
// given t=, header list and authserv-id, with the tags written in the
// suite's standard form, and the new ARC-Seal, ARC-Message-Signature and
// ARC-Authentication-Results are compared with the expected ones as sets
// of tags, whitespace removed, as the ValiMail harness does. b= included:
// RSA PKCS#1 v1.5 is deterministic, so an equal b= means the same bytes
// were signed.
func TestSignSuite(t *testing.T) {
	scs := loadSuite(t, "arc-draft-sign-tests.json")
	total := 0
	for _, sc := range scs {
		key, err := dkimkey.ParsePrivateKey([]byte(sc.PrivateKey))
		if err != nil {
			t.Fatalf("%s: %v", sc.Description, err)
		}
		v := NewValidator(fake(sc.TXTRecords), ValidateOptions{Now: at(1700000000)})
		for _, name := range sc.Order {
			tc := sc.Tests[name]
			total++
			t.Run(name, func(t *testing.T) {
				s, err := NewSealer(v, SealOptions{
					Domain: sc.Domain, Selector: sc.Selector, Signer: key,
					AuthServID: tc.SrvID, Headers: strings.Split(tc.SigHeaders, ":"),
					Time: time.Unix(tc.T, 0),
				})
				if err != nil {
					t.Fatal(err)
				}
				s.suiteFormat = true
				got, err := s.Fields(context.Background(), strings.NewReader(crlf(tc.Message)), nil)
				if strings.TrimSpace(tc.AS) == "" {
					if !errors.Is(err, ErrChainFailed) {
						t.Errorf("%s: want no seal (ErrChainFailed), got %v", tc.Description, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for k, want := range map[int]string{0: tc.AS, 1: tc.AMS, 2: tc.AAR} {
					if g := fieldValue(got.Fields[k]); !sameSet(tagSet(g), tagSet(want)) {
						t.Errorf("%s:\n got %s\nwant %s", strings.Fields(got.Fields[k])[0], strings.Join(strings.Fields(g), " "), strings.Join(strings.Fields(want), " "))
					}
				}
			})
		}
	}
	if total != 17 {
		t.Errorf("the signing suite has %d tests; want 17", total)
	}
}
