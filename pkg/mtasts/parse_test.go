package mtasts

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// conformanceDir is the public suites copied into the repository (see
// testdata/conformance/INDEX.md). Tests fail, not skip, when they are missing.
const conformanceDir = "../../testdata/conformance/mta-sts"

func readConformance(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatalf("conformance data missing (expected at %s): %v", conformanceDir, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("conformance data %s: %v", name, err)
	}
}

func problemCodes(err error) []string {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	var out []string
	for _, p := range se.Problems {
		out = append(out, p.Code())
	}
	return out
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		txt      string
		id       string
		codes    []string // problems; nil means valid
		warnings int
		ext      []Field
	}{
		{txt: "v=STSv1; id=20160831085700Z;", id: "20160831085700Z"},
		{txt: "v=STSv1;id=20180907T090909;", id: "20180907T090909"},
		{txt: "v=STSv1; id=abc", id: "abc"},
		{txt: "v=STSv1 ; id=abc", id: "abc"},
		{txt: "v=STSv1;\tid=abc\t", id: "abc"},
		{txt: "v=STSv1; id=20160831085700Z; ext=foo", id: "20160831085700Z", ext: []Field{{Name: "ext", Value: "foo"}}},
		{txt: "v=STSv1; id=a; id=b", id: "a", warnings: 1},
		{txt: "v=STSv1;; id=a", id: "a", warnings: 1},
		{txt: "v=STSv1; id=" + strings.Repeat("a", 32), id: strings.Repeat("a", 32)},
		{txt: "v=STSv1; id=" + strings.Repeat("a", 33), codes: []string{FindRecordBadID.Code}},
		{txt: "v=STSv1; id=2016-08-31;", codes: []string{FindRecordBadID.Code}},
		{txt: "v=STSv1; id=;", codes: []string{FindRecordBadID.Code}},
		{txt: "v=STSv1;", codes: []string{FindRecordNoID.Code}},
		{txt: "v=STSv1", codes: []string{FindRecordNoID.Code}},
		{txt: "id=20160831085700Z; v=STSv1;", codes: []string{FindRecordBadVersion.Code}},
		{txt: "v=STSv12;id=1", codes: []string{FindRecordBadVersion.Code}},
		{txt: "v=stsv1; id=1", codes: []string{FindRecordBadVersion.Code}},
		{txt: " v=STSv1; id=1", codes: []string{FindRecordBadVersion.Code}},
		{txt: "azazaza;asdasdasdasd", codes: []string{FindRecordBadVersion.Code}},
		{txt: "", codes: []string{FindRecordBadVersion.Code}},
		{txt: "v=STSv1 id=1", codes: []string{FindRecordSyntax.Code, FindRecordNoID.Code}},
		{txt: "v=STSv1; id = 1", codes: []string{FindRecordSyntax.Code, FindRecordNoID.Code}},
		{txt: "v=STSv1; id=1; junk", codes: []string{FindRecordSyntax.Code}},
		{txt: "v=STSv1; id=1; e=a b", codes: []string{FindRecordSyntax.Code}},
		{txt: "v=STSv1; id=1; _e=x", codes: []string{FindRecordSyntax.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.txt, func(t *testing.T) {
			rec, err := ParseRecord(tt.txt)
			if rec == nil {
				t.Fatal("nil record")
			}
			if got := problemCodes(err); !reflect.DeepEqual(got, tt.codes) {
				t.Fatalf("problems = %v (%v), want %v", got, err, tt.codes)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "mta-sts: invalid record: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if rec.ID != tt.id || rec.Version != "STSv1" {
				t.Errorf("record = %+v, want id %q", rec, tt.id)
			}
			if len(rec.Warnings) != tt.warnings {
				t.Errorf("warnings = %v, want %d", rec.Warnings, tt.warnings)
			}
			if !reflect.DeepEqual(rec.Extensions, tt.ext) {
				t.Errorf("extensions = %v, want %v", rec.Extensions, tt.ext)
			}
			again, err := ParseRecord(rec.String())
			if err != nil || again.ID != rec.ID {
				t.Errorf("String() %q does not parse back: %v", rec.String(), err)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		codes    []string
		warnings []string
		want     *Policy
	}{
		{name: "rfc crlf", body: "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
			want: &Policy{Version: "STSv1", Mode: "enforce", MX: []string{"mail.example.com", "*.example.net"}, MaxAge: 604800, LineEndings: "CRLF"}},
		{name: "lf no final newline", body: "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400",
			want: &Policy{Version: "STSv1", Mode: "testing", MX: []string{"mail.example.com"}, MaxAge: 86400, LineEndings: "LF"}},
		{name: "mixed endings", body: "version: STSv1\r\nmode: none\nmax_age: 86400\n",
			want: &Policy{Version: "STSv1", Mode: "none", MX: []string{}, MaxAge: 86400, LineEndings: "mixed"}},
		{name: "spaces after colon and at end", body: "version:STSv1\nmode:  enforce  \nmx:\tmx.example.com\nmax_age: 86400\n",
			want: &Policy{Version: "STSv1", Mode: "enforce", MX: []string{"mx.example.com"}, MaxAge: 86400, LineEndings: "LF"}},
		{name: "extension kept", body: "version: STSv1\nmode: testing\nmx: a.example\nmax_age: 86400\nfuture_key: x y\n",
			want: &Policy{Version: "STSv1", Mode: "testing", MX: []string{"a.example"}, MaxAge: 86400, Extensions: []Field{{Name: "future_key", Value: "x y"}}, LineEndings: "LF"}},
		{name: "duplicate mode first wins", body: "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 86400\n",
			warnings: []string{FindPolicyDuplicateField.Code},
			want:     &Policy{Version: "STSv1", Mode: "enforce", MX: []string{"a.example"}, MaxAge: 86400, LineEndings: "LF"}},
		{name: "short max_age", body: "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 3600\n", warnings: []string{FindPolicyMaxAgeShort.Code}},
		{name: "max max_age", body: "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n"},
		{name: "blank line", body: "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 86400\n", warnings: []string{FindPolicySyntax.Code}},
		{name: "garbage", body: "garbage", codes: []string{FindPolicySyntax.Code, FindPolicyBadVersion.Code, FindPolicyBadMode.Code, FindPolicyBadMaxAge.Code}},
		{name: "empty", body: "", codes: []string{FindPolicyBadVersion.Code, FindPolicyBadMode.Code, FindPolicyBadMaxAge.Code}},
		{name: "enforce without mx", body: "version: STSv1\nmode: enforce\nmax_age: 86400", codes: []string{FindPolicyNoMX.Code}},
		{name: "no mode", body: "version: STSv1\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicyBadMode.Code}},
		{name: "bad mode", body: "version: STSv1\nmode: doubt\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicyBadMode.Code}},
		{name: "mode upper case", body: "version: STSv1\nmode: Enforce\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicyBadMode.Code}},
		{name: "max_age xxx", body: "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: xxx", codes: []string{FindPolicyBadMaxAge.Code}},
		{name: "max_age negative", body: "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: -1", codes: []string{FindPolicyBadMaxAge.Code}},
		{name: "max_age 11 digits", body: "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 12345678901", codes: []string{FindPolicyBadMaxAge.Code}},
		{name: "max_age too large", body: "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 31557601", codes: []string{FindPolicyMaxAgeTooLarge.Code}},
		{name: "bad version", body: "version: STSv2\nmode: enforce\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicyBadVersion.Code}},
		{name: "key upper case", body: "Version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicySyntax.Code, FindPolicyBadVersion.Code}},
		{name: "leading space", body: "version: STSv1\n mode: enforce\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicySyntax.Code, FindPolicyBadMode.Code}},
		{name: "bare CR", body: "version: STSv1\rmode: enforce\nmx: mail.loc\nmax_age: 86400", codes: []string{FindPolicySyntax.Code, FindPolicyBadVersion.Code, FindPolicyBadMode.Code}},
		{name: "bad mx", body: "version: STSv1\nmode: enforce\nmx: mail.*.loc\nmx: *.com\nmx: bad_host.example\nmax_age: 86400", codes: []string{FindPolicyBadMX.Code, FindPolicyBadMX.Code, FindPolicyBadMX.Code}},
		{name: "not utf-8", body: "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\nx: \xff\n", codes: []string{FindPolicySyntax.Code}},
		{name: "too large", body: strings.Repeat("x", MaxPolicySize+1), codes: []string{FindPolicyTooLarge.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.body))
			if p == nil {
				t.Fatal("nil policy")
			}
			if got := problemCodes(err); !reflect.DeepEqual(got, tt.codes) {
				t.Fatalf("problems = %v (%v), want %v", got, err, tt.codes)
			}
			var warns []string
			for _, w := range p.Warnings {
				warns = append(warns, w.Code())
			}
			if !reflect.DeepEqual(warns, tt.warnings) {
				t.Errorf("warnings = %v, want %v", p.Warnings, tt.warnings)
			}
			if tt.want != nil {
				p.Warnings = nil
				if !reflect.DeepEqual(p, tt.want) {
					t.Errorf("policy = %+v\nwant %+v", p, tt.want)
				}
			}
			if err == nil {
				again, err := ParsePolicy([]byte(p.String()))
				if err != nil || again.Mode != p.Mode || !reflect.DeepEqual(again.MX, p.MX) {
					t.Errorf("String() does not parse back: %v", err)
				}
			}
		})
	}
}

func TestMatchMX(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"mail.example.com", "mail.example.com", true},
		{"mail.example.com", "MAIL.Example.COM.", true},
		{"mail.example.com.", "mail.example.com", true},
		{"mail.example.com", "mail2.example.com", false},
		{"*.example.net", "mx1.example.net", true},
		{"*.Example.NET", "MX1.example.net.", true},
		{"*.example.net", "example.net", false},
		{"*.example.net", "foo.mx1.example.net", false},
		{"*.example.net", ".example.net", false},
		{"*.example.net", "*.example.net", false},
		{"", "mail.example.com", false},
		{"mail.example.com", "", false},
	}
	for _, tt := range tests {
		if got := MatchMX(tt.pattern, tt.host); got != tt.want {
			t.Errorf("MatchMX(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

// rfcVectors is mta-sts/rfc8461-rfc8460-vectors.json.
type rfcVectors struct {
	STS []struct {
		TXT    json.RawMessage `json:"txt"`
		Expect struct {
			Valid bool   `json:"valid"`
			ID    string `json:"id"`
		} `json:"expect"`
		Ref string `json:"ref"`
	} `json:"sts_txt_records"`
	Policies []struct {
		Body   string `json:"body"`
		Expect struct {
			Valid  any      `json:"valid"`
			Mode   string   `json:"mode"`
			MX     []string `json:"mx"`
			MaxAge int64    `json:"max_age"`
		} `json:"expect"`
		Ref string `json:"ref"`
	} `json:"policies"`
	MX []struct {
		Pattern string `json:"pattern"`
		Host    string `json:"host"`
		Match   bool   `json:"match"`
	} `json:"mx_matching"`
}

// TestRFCVectors runs the RFC 8461 part of rfc8461-rfc8460-vectors.json
// (the TLSRPT part runs in pkg/tlsrpt).
func TestRFCVectors(t *testing.T) {
	var v rfcVectors
	readConformance(t, "rfc8461-rfc8460-vectors.json", &v)
	pass, total := 0, 0
	for i, c := range v.STS {
		total++
		var txts []string
		if err := json.Unmarshal(c.TXT, &txts); err != nil {
			var one string
			if err := json.Unmarshal(c.TXT, &one); err != nil {
				t.Fatalf("sts_txt_records[%d]: %v", i, err)
			}
			txts = []string{one}
		}
		// A set of records is valid only as exactly one valid STSv1 record
		// (RFC 8461 §3.1), which is what Check decides; here: each parses and
		// the set has one candidate.
		var valid bool
		var id string
		if len(txts) == 1 {
			rec, err := ParseRecord(txts[0])
			valid, id = err == nil, rec.ID
		}
		ok := valid == c.Expect.Valid && (!valid || c.Expect.ID == "" || id == c.Expect.ID)
		if !ok {
			t.Errorf("sts_txt_records[%d] %s: valid=%v id=%q, want %+v", i, c.Ref, valid, id, c.Expect)
			continue
		}
		pass++
	}
	for i, c := range v.Policies {
		total++
		p, err := ParsePolicy([]byte(c.Body))
		switch want := c.Expect.Valid.(type) {
		case bool:
			if (err == nil) != want {
				t.Errorf("policies[%d] %s: err=%v, want valid=%v", i, c.Ref, err, want)
				continue
			}
			if c.Expect.Mode != "" && p.Mode != c.Expect.Mode || c.Expect.MX != nil && !reflect.DeepEqual(p.MX, c.Expect.MX) ||
				c.Expect.MaxAge != 0 && p.MaxAge != c.Expect.MaxAge {
				t.Errorf("policies[%d] %s: got %+v, want %+v", i, c.Ref, p, c.Expect)
				continue
			}
		default:
			// Implementation-defined (max_age over the cap): we reject, with
			// the code that says why.
			if got := problemCodes(err); !reflect.DeepEqual(got, []string{FindPolicyMaxAgeTooLarge.Code}) {
				t.Errorf("policies[%d] %s: problems %v, want the policy refused for its max_age", i, c.Ref, got)
				continue
			}
		}
		pass++
	}
	for i, c := range v.MX {
		total++
		if got := MatchMX(c.Pattern, c.Host); got != c.Match {
			t.Errorf("mx_matching[%d]: MatchMX(%q, %q) = %v, want %v", i, c.Pattern, c.Host, got, c.Match)
			continue
		}
		pass++
	}
	if total != 16 {
		t.Errorf("ran %d RFC 8461 vectors, expected 16 (6 records, 5 policies, 5 mx)", total)
	}
	t.Logf("RFC 8461 vectors: %d/%d pass", pass, total)
}
