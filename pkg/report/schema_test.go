package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

const schemaPath = "../../docs/report.schema.json"

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("the report's JSON Schema: %v", err)
	}
	var s map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return s
}

// validator checks a JSON value against the subset of JSON Schema 2020-12
// that docs/report.schema.json uses. A keyword it does not know fails the
// test, so the schema cannot rely on something this test does not check.
type validator struct {
	root map[string]any
}

var annotations = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "$comment": true, "$defs": true, "examples": true}

func (v *validator) validate(schema map[string]any, x any, path string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for kw, val := range schema {
		switch kw {
		case "$ref":
			ref := val.(string)
			name, ok := strings.CutPrefix(ref, "#/$defs/")
			def, found := v.root["$defs"].(map[string]any)[name].(map[string]any)
			if !ok || !found {
				bad("unresolvable $ref %q", ref)
				continue
			}
			errs = append(errs, v.validate(def, x, path)...)
		case "type":
			if !hasType(x, val.(string)) {
				bad("%s is not of type %s", short(x), val)
			}
		case "const":
			if !reflect.DeepEqual(x, val) {
				bad("%s is not %v", short(x), val)
			}
		case "enum":
			ok := false
			for _, e := range val.([]any) {
				ok = ok || reflect.DeepEqual(x, e)
			}
			if !ok {
				bad("%s is not one of %v", short(x), val)
			}
		case "pattern":
			if s, ok := x.(string); ok && !regexp.MustCompile(val.(string)).MatchString(s) {
				bad("%q does not match %s", s, val)
			}
		case "minimum":
			if n, ok := x.(json.Number); ok {
				min, _ := val.(json.Number).Float64()
				if f, _ := n.Float64(); f < min {
					bad("%s < %v", n, min)
				}
			}
		case "required":
			if o, ok := x.(map[string]any); ok {
				for _, k := range val.([]any) {
					if _, ok := o[k.(string)]; !ok {
						bad("missing %q", k)
					}
				}
			}
		case "properties":
			if o, ok := x.(map[string]any); ok {
				for k, sub := range val.(map[string]any) {
					if xv, ok := o[k]; ok {
						errs = append(errs, v.validate(sub.(map[string]any), xv, path+"."+k)...)
					}
				}
			}
		case "items":
			if a, ok := x.([]any); ok {
				for i, xv := range a {
					errs = append(errs, v.validate(val.(map[string]any), xv, fmt.Sprintf("%s[%d]", path, i))...)
				}
			}
		default:
			if !annotations[kw] {
				errs = append(errs, fmt.Sprintf("schema keyword %q is not checked by this test", kw))
			}
		}
	}
	return errs
}

func hasType(x any, typ string) bool {
	switch typ {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "integer":
		n, ok := x.(json.Number)
		_, err := n.Int64()
		return ok && err == nil
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	}
	return false
}

func short(x any) string {
	b, _ := json.Marshal(x)
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var x any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestGoldenJSONValidates: the golden json, every jsonl line, and the
// empty report validate against docs/report.schema.json.
func TestGoldenJSONValidates(t *testing.T) {
	root := loadSchema(t)
	v := &validator{root: root}
	doc, err := os.ReadFile("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v.validate(root, decodeJSON(t, doc), "$") {
		t.Error("sample.json: " + e)
	}
	empty := render(t, "json", &check.Report{}, Options{})
	for _, e := range v.validate(root, decodeJSON(t, empty), "$") {
		t.Error("empty report: " + e)
	}
	domainDef := root["$defs"].(map[string]any)["domain"].(map[string]any)
	lines, err := os.ReadFile("testdata/sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		for _, e := range v.validate(domainDef, decodeJSON(t, l), fmt.Sprintf("line %d", i+1)) {
			t.Error("sample.jsonl: " + e)
		}
	}
}

// TestValidatorCatches: the validator is not a rubber stamp.
func TestValidatorCatches(t *testing.T) {
	root := loadSchema(t)
	v := &validator{root: root}
	for name, doc := range map[string]string{
		"no schema":       `{"domains": [], "summary": {"domains":0,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"wrong version":   `{"schema":"emailauth.report/v2","domains": [], "summary": {"domains":0,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"null findings":   `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"mx","status":"pass","records":[],"findings":null,"details":{}}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"bad status":      `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"ok","checks":[]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"bad check":       `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"arc","status":"pass","records":[],"findings":[],"details":{}}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"bad severity":    `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"mx","status":"pass","records":[],"findings":[{"code":"mx.x","severity":"fatal","message":"m"}],"details":{}}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"bad code":        `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"mx","status":"pass","records":[],"findings":[{"code":"MX_X","severity":"info","message":"m"}],"details":{}}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"null details":    `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"mx","status":"pass","records":[],"findings":[],"details":null}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"negative count":  `{"schema":"emailauth.report/v1","domains":[],"summary":{"domains":-1,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"no invalid":      `{"schema":"emailauth.report/v1","domains":[],"summary":{"domains":0,"pass":0,"warn":0,"fail":0,"error":0}}`,
		"fractional":      `{"schema":"emailauth.report/v1","domains":[],"summary":{"domains":0.5,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0}}`,
		"record a number": `{"schema":"emailauth.report/v1","domains":[{"domain":"a.example","status":"pass","checks":[{"check":"mx","status":"pass","records":[1],"findings":[],"details":{}}]}],"summary":{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}}`,
	} {
		if errs := v.validate(root, decodeJSON(t, []byte(doc)), "$"); len(errs) == 0 {
			t.Errorf("%s: validated", name)
		}
	}
}

// jsonKeys returns the JSON keys of a struct type, and those that are
// always written (no omitempty).
func jsonKeys(t reflect.Type) (all, required []string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			required = append(required, name)
		}
	}
	sort.Strings(all)
	sort.Strings(required)
	return all, required
}

func schemaKeys(def map[string]any) (all, required []string) {
	for k := range def["properties"].(map[string]any) {
		all = append(all, k)
	}
	for _, k := range def["required"].([]any) {
		required = append(required, k.(string))
	}
	sort.Strings(all)
	sort.Strings(required)
	return all, required
}

func enumStrings(def map[string]any) []string {
	var out []string
	for _, e := range def["enum"].([]any) {
		out = append(out, e.(string))
	}
	sort.Strings(out)
	return out
}

// TestSchemaMatchesModel: every field of the Go model is in the schema and
// the other way round, required exactly when always written; the enums are
// the model's statuses, checks and severities. A field added to the model
// fails this test until the schema and docs/report.md describe it.
func TestSchemaMatchesModel(t *testing.T) {
	root := loadSchema(t)
	defs := root["$defs"].(map[string]any)
	for name, typ := range map[string]reflect.Type{
		"":        reflect.TypeOf(check.Report{}),
		"domain":  reflect.TypeOf(check.DomainResult{}),
		"check":   reflect.TypeOf(check.CheckResult{}),
		"finding": reflect.TypeOf(finding.Finding{}),
		"summary": reflect.TypeOf(check.Summary{}),
	} {
		def := root
		if name != "" {
			def = defs[name].(map[string]any)
		}
		goAll, goReq := jsonKeys(typ)
		sAll, sReq := schemaKeys(def)
		if !reflect.DeepEqual(goAll, sAll) {
			t.Errorf("%s: the model has fields %v, the schema %v", typ, goAll, sAll)
		}
		if !reflect.DeepEqual(goReq, sReq) {
			t.Errorf("%s: the model always writes %v, the schema requires %v", typ, goReq, sReq)
		}
	}
	statuses := []string{string(check.StatusPass), string(check.StatusWarn), string(check.StatusFail), string(check.StatusError), string(check.StatusSkip)}
	sort.Strings(statuses)
	if got := enumStrings(defs["status"].(map[string]any)); !reflect.DeepEqual(got, statuses) {
		t.Errorf("status enum %v, model %v", got, statuses)
	}
	checks := check.Names()
	sort.Strings(checks)
	checkProps := defs["check"].(map[string]any)["properties"].(map[string]any)
	if got := enumStrings(checkProps["check"].(map[string]any)); !reflect.DeepEqual(got, checks) {
		t.Errorf("check enum %v, model %v", got, checks)
	}
	sevs := []string{finding.Error.String(), finding.Warning.String(), finding.Info.String()}
	sort.Strings(sevs)
	findingProps := defs["finding"].(map[string]any)["properties"].(map[string]any)
	if got := enumStrings(findingProps["severity"].(map[string]any)); !reflect.DeepEqual(got, sevs) {
		t.Errorf("severity enum %v, model %v", got, sevs)
	}
	if c := root["properties"].(map[string]any)["schema"].(map[string]any)["const"]; c != check.Schema {
		t.Errorf("schema const %v, model %s", c, check.Schema)
	}
}

// TestDocsNameEveryField: docs/report.md mentions every field of the model.
func TestDocsNameEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/report.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(check.Report{}), reflect.TypeOf(check.DomainResult{}), reflect.TypeOf(check.CheckResult{}), reflect.TypeOf(finding.Finding{}), reflect.TypeOf(check.Summary{})} {
		all, _ := jsonKeys(typ)
		for _, k := range all {
			if !bytes.Contains(doc, []byte("`"+k+"`")) {
				t.Errorf("docs/report.md does not describe `%s` of %s", k, typ)
			}
		}
	}
	for _, f := range Formats {
		if !bytes.Contains(doc, []byte("`"+f+"`")) {
			t.Errorf("docs/report.md does not describe the %s format", f)
		}
	}
	if !bytes.Contains(doc, []byte(strings.Join(CSVHeader, ","))) {
		t.Error("docs/report.md does not show the csv header")
	}
}
