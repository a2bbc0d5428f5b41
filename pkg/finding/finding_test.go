package finding

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestListJSON(t *testing.T) {
	var empty List
	b, _ := json.Marshal(struct{ F List }{empty})
	if string(b) != `{"F":[]}` {
		t.Errorf("empty list: %s", b)
	}
	var c Catalog
	s := c.Define(Spec{Code: "spf.x", Severity: Warning, Title: "t", Meaning: "m", Fix: "f"})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as cmdutil.WriteJSON and pkg/report do
	if err := enc.Encode(List{s.New("a <b> & c", "publish \"v=spf1 -all\"")}); err != nil {
		t.Fatal(err)
	}
	b = buf.Bytes()
	if strings.Contains(string(b), `\u003c`) || !strings.Contains(string(b), `"severity":"warning"`) {
		t.Errorf("list: %s", b)
	}
}

func TestDefinePanicsOnBadSpecs(t *testing.T) {
	for _, s := range []Spec{
		{Code: "nodot", Title: "t", Meaning: "m", Fix: "f"},
		{Code: "spf.Upper", Title: "t", Meaning: "m", Fix: "f"},
		{Code: "spf.x"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", s)
				}
			}()
			var c Catalog
			c.Define(s)
		}()
	}
	var c Catalog
	c.Define(Spec{Code: "spf.x", Title: "t", Meaning: "m", Fix: "f"})
	defer func() {
		if recover() == nil {
			t.Error("duplicate code: no panic")
		}
	}()
	c.Define(Spec{Code: "spf.x", Title: "t", Meaning: "m", Fix: "f"})
}

func TestSeverityText(t *testing.T) {
	for _, s := range []string{"error", "warning", "info"} {
		v, err := ParseSeverity(s)
		if err != nil || v.String() != s {
			t.Errorf("%s: %v %v", s, v, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("fatal parsed")
	}
}

func TestCatalogHas(t *testing.T) {
	var c Catalog
	s := c.Define(Spec{Code: "mx.x", Title: "t", Meaning: "m", Fix: "f"})
	if !c.Has("mx.x") || c.Has("mx.y") || len(c.Specs()) != 1 || c.Specs()[0] != s {
		t.Error("Has/Specs")
	}
}
