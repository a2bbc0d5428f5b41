package report

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// normalize returns a copy of d as the JSON contract writes it: checks,
// records and findings are [] (never null) and details {} (never null). d
// itself is not changed.
func normalize(d *check.DomainResult) *check.DomainResult {
	out := *d
	out.Checks = make([]*check.CheckResult, len(d.Checks))
	for i, c := range d.Checks {
		cc := *c
		if cc.Records == nil {
			cc.Records = []string{}
		}
		if cc.Findings == nil {
			cc.Findings = finding.List{}
		}
		if isNil(cc.Details) {
			cc.Details = struct{}{}
		}
		out.Checks[i] = &cc
	}
	return &out
}

// isNil reports whether v is nil or a nil pointer, map, slice or interface,
// all of which encoding/json writes as null.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// encodeJSON writes v as JSON without HTML escaping ("<", ">" and "&" stay
// as they are: records contain them), indented when indent is set, with no
// trailing newline.
func encodeJSON(buf *bytes.Buffer, v any, prefix, indent string) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent(prefix, indent)
	}
	start := buf.Len()
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	// A value's own MarshalJSON (finding.List's, a check's details) goes
	// through json.Marshal, which escapes HTML whatever the encoder says:
	// undo that.
	if bytes.Contains(buf.Bytes()[start:], []byte(`\u00`)) {
		out := unescapeHTML(buf.Bytes()[start:])
		buf.Truncate(start)
		buf.Write(out)
	}
	if out := SafeJSON(buf.Bytes()[start:]); len(out) != buf.Len()-start {
		out = append([]byte(nil), out...)
		buf.Truncate(start)
		buf.Write(out)
	}
	return nil
}

// unescapeHTML replaces the escapes \u003c, \u003e and \u0026 in JSON text
// by the characters <, > and &. Outside strings JSON has no backslashes, and
// inside them every escape starts with a backslash that is not itself
// escaped, so a left-to-right scan that skips whole escapes is exact.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			switch string(b[i+2 : i+6]) {
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

// jsonWriter writes the report as one indented JSON document. It streams:
// each domain is written when it arrives, and the summary at Close, so the
// memory used does not grow with the number of domains. The bytes are
// exactly those of the whole check.Report indented with two spaces; the
// document is complete only once Close has been called.
type jsonWriter struct {
	w       io.Writer
	buf     bytes.Buffer
	started bool
	groups  *check.Tenants // GroupByTenant: "tenants" after "summary"
}

func newJSON(w io.Writer) *jsonWriter { return &jsonWriter{w: w} }

func (j *jsonWriter) head() {
	j.buf.WriteString("{\n  \"schema\": ")
	schema, _ := json.Marshal(check.Schema)
	j.buf.Write(schema)
	j.buf.WriteString(",\n  \"domains\": [")
}

func (j *jsonWriter) domain(d *check.DomainResult) error {
	j.buf.Reset()
	if !j.started {
		j.head()
		j.started = true
	} else {
		j.buf.WriteByte(',')
	}
	j.buf.WriteString("\n    ")
	if err := encodeJSON(&j.buf, normalize(d), "    ", "  "); err != nil {
		return err
	}
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

func (j *jsonWriter) close(s check.Summary) error {
	j.buf.Reset()
	if !j.started {
		j.head()
		j.buf.WriteString("],\n")
	} else {
		j.buf.WriteString("\n  ],\n")
	}
	j.buf.WriteString("  \"summary\": ")
	if err := encodeJSON(&j.buf, s, "  ", "  "); err != nil {
		return err
	}
	if j.groups != nil {
		j.buf.WriteString(",\n  \"tenants\": ")
		if err := encodeJSON(&j.buf, j.groups.List(), "  ", "  "); err != nil {
			return err
		}
	}
	j.buf.WriteString("\n}\n")
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

// jsonlWriter writes one compact JSON DomainResult per line, as each
// arrives, and nothing else: no summary line, so that the outputs of
// several runs (shards) concatenate into one valid stream.
type jsonlWriter struct {
	w   io.Writer
	buf bytes.Buffer
}

func newJSONL(w io.Writer) *jsonlWriter { return &jsonlWriter{w: w} }

func (j *jsonlWriter) domain(d *check.DomainResult) error {
	j.buf.Reset()
	if err := encodeJSON(&j.buf, normalize(d), "", ""); err != nil {
		return err
	}
	j.buf.WriteByte('\n')
	_, err := j.w.Write(j.buf.Bytes()) // one Write per line
	return err
}

func (j *jsonlWriter) close(check.Summary) error { return nil }
