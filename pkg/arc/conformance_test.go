package arc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// validationDifferences are the ValiMail validation tests whose expected
// cv is not what emailauth reports, with the result it gives instead. Each
// is argued from RFC 8617; the test fails if one starts to agree with the
// suite (or to give something else), so the list cannot go stale.
var validationDifferences = map[string]string{
	// The suite expects "" (no verdict) for these three messages, whose
	// chain already carries cv=fail. RFC 8617 §5.2 step 2: when the newest
	// ARC-Seal says cv=fail, "the Chain Validation Status is 'fail' and
	// the algorithm stops here"; step 3.3: a cv=fail anywhere fails the
	// structure. Mail::DKIM and mailauth report fail too.
	"cv_fail_i1_as_cv_fail": Fail, // the only seal says cv=fail
	"cv_fail_i2_as2_fail":   Fail, // the newest of two seals says cv=fail
	"cv_fail_i2_as1_fail":   Fail, // the first seal says cv=fail (step 3.3)

	// The suite expects pass for an ARC-Message-Signature without c= that
	// was signed with relaxed header canonicalization, the default of the
	// early ARC drafts. RFC 8617 §4.1.2 gives the AMS "the same syntax and
	// semantics as the DKIM-Signature field" but for its name, v= and i=,
	// so c= defaults to simple/simple (RFC 6376 §3.5), and the signature
	// does not verify. mailauth's strict mode reads it the same way.
	"ams_fields_c_na": Fail,
}

// TestValidationSuite runs the 175 tests of the ValiMail ARC validation
// suite (testdata/conformance/arc, INDEX.md §4.1), from the JSON that keeps
// the four tests the YAML defines twice (the second copy named "__dup2").
func TestValidationSuite(t *testing.T) {
	scs := loadSuite(t, "arc-draft-validation-tests.all-175.json")
	if len(scs) != 10 {
		t.Fatalf("the validation suite has %d scenarios; want 10", len(scs))
	}
	total, agree, differ := 0, 0, 0
	byCV := map[string]int{}
	for _, sc := range scs {
		res := fake(sc.TXTRecords)
		v := NewValidator(res, ValidateOptions{Now: at(1700000000)})
		for _, name := range sc.Order {
			tc := sc.Tests[name]
			total++
			byCV[tc.CV]++
			t.Run(name, func(t *testing.T) {
				got, err := v.Validate(context.Background(), strings.NewReader(crlf(tc.Message)))
				if err != nil {
					t.Fatalf("%s: %v", tc.Description, err)
				}
				want := strings.ToLower(tc.CV)
				if d, ok := validationDifferences[name]; ok {
					if got.Result == want || got.Result != d {
						t.Errorf("%s: got %s (%s); documented as giving %s where the suite expects %q", tc.Description, got.Result, got.Reason, d, tc.CV)
					} else {
						differ++
					}
					return
				}
				if got.Result != want {
					t.Errorf("%s (%s): got %s %s (%s), want %s", name, tc.Description, got.Result, got.Code, got.Reason, want)
					return
				}
				agree++
			})
		}
	}
	// Pin the suite's size and make-up (INDEX.md §4.1).
	if total != 175 {
		t.Errorf("the validation suite has %d tests; want 175", total)
	}
	if byCV["Pass"] != 58 || byCV["Fail"] != 109 || byCV["None"] != 5 || byCV[""] != 3 {
		t.Errorf("the suite's expectations changed: %v", byCV)
	}
	t.Logf("ValiMail validation suite: %d of %d as the suite expects, %d documented differences", agree, total, differ)

	// The last-wins view (what a YAML parser that keeps the last of each
	// duplicate key sees) is the same suite less the four second copies.
	view := loadSuite(t, "arc-draft-validation-tests.json")
	n := 0
	for i, sc := range view {
		n += len(sc.Tests)
		for name := range sc.Tests {
			if _, ok := scs[i].Tests[name]; !ok {
				t.Errorf("%s is in the 171-test view only", name)
			}
		}
	}
	if n != 171 {
		t.Errorf("the last-wins view has %d tests; want 171", n)
	}
}

// TestStalwartMessages verifies the ARC chains of stalwart's real messages
// (INDEX.md §4.2): both must pass.
func TestStalwartMessages(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(conformanceDir(t), "stalwart-mail-auth", "00*.txt"))
	if len(files) != 2 {
		t.Fatalf("%d stalwart ARC messages, want 2", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dnsPart, msg, ok := strings.Cut(string(data), "\n\n")
			if !ok {
				t.Fatal("no blank line after the DNS records")
			}
			res := dnstest.NewFake()
			fakeFromLines(res, dnsPart)
			got, err := Validate(context.Background(), strings.NewReader(msg), res, ValidateOptions{Now: at(1667843664)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != Pass {
				t.Errorf("got %s %s: %s", got.Result, got.Code, got.Reason)
				for _, s := range got.Sets {
					t.Logf("%+v", s)
				}
			}
		})
	}
}

// tagSet reads a signature or AAR value as the ValiMail harness compares
// them: whitespace removed, split at ";" into a set.
func tagSet(v string) map[string]bool {
	v = strings.Join(strings.Fields(v), "")
	out := map[string]bool{}
	for _, p := range strings.Split(v, ";") {
		if p != "" {
			out[p] = true
		}
	}
	return out
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func fieldValue(field string) string {
	_, v, _ := strings.Cut(field, ":")
	return v
}
