package check

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestTableDocsAndSchemaAgree keeps the checks table, the report schema's
// enum of check names and docs/checks.md in step.
func TestTableDocsAndSchemaAgree(t *testing.T) {
	names := Names()
	raw, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	enum := schema.Defs["check"].Properties["check"].Enum
	if strings.Join(enum, ",") != strings.Join(names, ",") {
		t.Errorf("schema enum %v, table %v", enum, names)
	}
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		rows = append(rows, m[1])
	}
	if strings.Join(rows, ",") != strings.Join(names, ",") {
		t.Errorf("docs/checks.md rows %v, table %v", rows, names)
	}
	for _, c := range Checks() {
		if c.Summary == "" || c.Findings == nil || c.run == nil {
			t.Errorf("%s: incomplete declaration", c.Name)
		}
		if _, err := os.Stat("../../docs/" + c.Doc); err != nil {
			t.Errorf("%s: doc page %s: %v", c.Name, c.Doc, err)
		}
		for _, s := range c.Findings() {
			if !strings.HasPrefix(s.Code, c.Name+".") {
				t.Errorf("%s emits %s, outside its namespace", c.Name, s.Code)
			}
		}
	}
	if IsCheck("nope") {
		t.Error("IsCheck(nope)")
	}
	if _, err := New(nil, Options{Checks: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown check "nope"`) {
		t.Errorf("New with an unknown check: %v", err)
	}
}
