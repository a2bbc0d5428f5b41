package dmarc

import "testing"

func TestEdit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		set  map[string]string
		want string
	}{
		{"v=DMARC1; p=none; rua=mailto:d@tenant.test", map[string]string{"p": "quarantine"}, "v=DMARC1; p=quarantine; rua=mailto:d@tenant.test"},
		{"v=DMARC1;p=none;  rua=mailto:d@tenant.test ; x_own=1", map[string]string{"rua": "mailto:d@tenant.test,mailto:p@platform.test", "ruf": "mailto:s@platform.test", "fo": "1"},
			"v=DMARC1; p=none; rua=mailto:d@tenant.test,mailto:p@platform.test; ruf=mailto:s@platform.test; fo=1; x_own=1"},
		{"v=DMARC1; p=reject; pct=20; t=y", map[string]string{"pct": "", "t": "", "sp": "quarantine"}, "v=DMARC1; p=reject; sp=quarantine"},
		{"v=DMARC1; rua=mailto:d@tenant.test; p=none; p=reject", map[string]string{"p": "quarantine", "adkim": "s"}, "v=DMARC1; rua=mailto:d@tenant.test; p=quarantine; adkim=s"},
	} {
		rec, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Edit(rec, tc.set); got != tc.want {
			t.Errorf("Edit(%q, %v) = %q, want %q", tc.in, tc.set, got, tc.want)
		} else if _, err := Parse(got); err != nil {
			t.Errorf("the edited record does not parse: %v", err)
		}
	}
}

func TestAddURIs(t *testing.T) {
	rec, _ := Parse("v=DMARC1; p=none; rua=mailto:D@tenant.test,mailto:DMARC@Platform.test!10m")
	list, added := AddURIs(rec.RUA, []string{"mailto:dmarc@platform.test", "other@platform.test", "mailto:other@platform.test"})
	if list != "mailto:D@tenant.test,mailto:DMARC@Platform.test!10m,mailto:other@platform.test" || len(added) != 1 {
		t.Errorf("AddURIs = %q, %v", list, added)
	}
	if !HasURI(rec.RUA, "mailto:d@TENANT.test") || HasURI(rec.RUA, "mailto:x@tenant.test") || HasURI(rec.RUA, "::bad") {
		t.Error("HasURI")
	}
}
