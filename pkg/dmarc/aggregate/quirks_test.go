package aggregate

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

const minimal = `<feedback><report_metadata><org_name>receiver.example</org_name><email>r@receiver.example</email><report_id>1</report_id><date_range><begin>1790553600</begin><end>1790639999</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>%s</feedback>`

func withRecords(recs string) []byte {
	return []byte(strings.Replace(minimal, "%s", recs, 1))
}

func TestQuirksTolerated(t *testing.T) {
	rec := `<record><row><source_ip>192.0.2.1</source_ip><count>3</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers></record>`
	tests := []struct {
		name  string
		data  []byte
		quirk mailreport.Quirk
		check func(*Report) bool
	}{
		{"schema.xml", []byte(`<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">` + string(withRecords(rec))), mailreport.QuirkSchemaWrapper,
			func(r *Report) bool { return r.Messages() == 3 }},
		{"schema-closed.xml", []byte(`<schema>` + string(withRecords(rec)) + `</schema>`), mailreport.QuirkSchemaWrapper,
			func(r *Report) bool { return r.Messages() == 3 }},
		{"amp.xml", withRecords(strings.Replace(rec, "<header_from>example.com", "<header_from>AT&T example.com", 1)), mailreport.QuirkUnescapedMarkup,
			func(r *Report) bool { return r.Records[0].HeaderFrom == "at&t example.com" }},
		{"lt.xml", bytes.Replace(withRecords(rec), []byte("<email>r@receiver.example"), []byte("<email><r@receiver.example>"), 1), mailreport.QuirkUnescapedMarkup,
			func(r *Report) bool { return r.Metadata.Email == "<r@receiver.example>" }},
		{"upper.xml", withRecords(strings.Replace(rec, "<dkim>pass", "<dkim>PASS", 1)), mailreport.QuirkUpperCaseResult,
			func(r *Report) bool { return r.Records[0].DKIM == "pass" && r.Records[0].DMARCPass() }},
		{"identities.xml", withRecords(strings.ReplaceAll(rec, "identifiers>", "identities>")), mailreport.QuirkIdentitiesElement,
			func(r *Report) bool { return r.Records[0].HeaderFrom == "example.com" }},
		{"fraction.xml", bytes.Replace(withRecords(rec), []byte("<begin>1790553600<"), []byte("<begin>1790553600.25<"), 1), mailreport.QuirkFractionalTime,
			func(r *Report) bool { return r.Metadata.Begin.Unix() == 1790553600 }},
		{"twopolicies.xml", withRecords(`<policy_published><domain>other.example</domain><p>reject</p></policy_published>` + rec), mailreport.QuirkRepeatedPolicy,
			func(r *Report) bool { return r.Policy.Domain == "example.com" && r.Policy.P == "none" }},
		{"noorg.xml", bytes.Replace(withRecords(rec), []byte("<org_name>receiver.example</org_name>"), []byte("<org_name/>"), 1), mailreport.QuirkMissingOrgName,
			func(r *Report) bool { return r.Metadata.OrgName == "receiver.example" }},
		{"utf8.xml", bytes.Replace(withRecords(rec), []byte("<org_name>receiver.example"), []byte("<org_name>receiver\xff\xfe.example"), 1), mailreport.QuirkInvalidUTF8,
			func(r *Report) bool { return r.Metadata.OrgName == "receiver\uFFFD\uFFFD.example" }},
	}
	for _, tt := range tests {
		reps, err := ParseFile(tt.name, bytes.NewReader(tt.data), DefaultLimits)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		r := reps[0]
		if len(r.Warnings) != 1 || r.Warnings[0].Quirk != tt.quirk || r.Warnings[0].Source != tt.name {
			t.Errorf("%s: warnings %v, want one %s", tt.name, r.Warnings, tt.quirk)
		}
		if !tt.check(r) {
			t.Errorf("%s: read as %+v", tt.name, r)
		}
	}
}

func TestQuirksNoWarning(t *testing.T) {
	// Latin-1 declared is converted, not a quirk; domain names in upper
	// case are not result words.
	data := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + strings.Replace(string(withRecords(`<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>EXAMPLE.COM</header_from></identifiers></record>`)), "receiver.example</org_name>", "r\xe9ceiver.example</org_name>", 1))
	reps, err := ParseFile("latin1.xml", bytes.NewReader(data), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps[0].Warnings) != 0 || reps[0].Metadata.OrgName != "réceiver.example" || reps[0].Records[0].HeaderFrom != "example.com" {
		t.Errorf("%+v", reps[0])
	}
}

// The repair never lets through what the strict reader refuses.
func TestQuirksStrictWhereAttackersAre(t *testing.T) {
	tests := []struct {
		name, data, want string
		tooBig           bool
	}{
		{"doctype-broken.xml", `<!DOCTYPE feedback [<!ENTITY a "b">]><feedback><report_metadata><email><x@y></email></report_metadata></feedback>`, "DOCTYPE", false},
		{"doctype-inside.xml", `<feedback><report_metadata><email><x@y></email></report_metadata><!DOCTYPE x></feedback>`, "declaration inside the report is refused", false},
		{"entity.xml", `<feedback><report_metadata><org_name>&xxe;</org_name><email><x@y></email></report_metadata></feedback>`, "not well-formed", false},
		{"unclosed.xml", `<feedback><report_metadata><org_name>o</org_name>`, "not well-formed", false},
		{"garbage.xml", `<feedback><report_metadata><org_name>o</org_name><report_id>1</report_id></report_metadata><record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></rec`, "not well-formed", false},
		{"schema-other.xml", `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><element/></xs:schema>`, "holds <element>", false},
		{"schema-empty.xml", `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">`, "not well-formed", false},
	}
	for _, tt := range tests {
		_, err := ParseFile(tt.name, strings.NewReader(tt.data), DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	// Too many records, even after a repair.
	var recs strings.Builder
	for i := 0; i < 5; i++ {
		recs.WriteString(`<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><identifiers><header_from>a&b</header_from></identifiers></record>`)
	}
	_, err := ParseFile("many.xml", bytes.NewReader(withRecords(recs.String())), Limits{MaxRecords: 4})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("records after repair: %v", err)
	}
}

func TestEscapeStrayMarkup(t *testing.T) {
	tests := []struct{ in, out string }{
		{`<a x="1" y='2'/>`, `<a x="1" y='2'/>`},
		{`<a>1 < 2 & 3 &amp; &#65; &#x41; &bad</a>`, `<a>1 &lt; 2 &amp; 3 &amp; &#65; &#x41; &amp;bad</a>`},
		{`<e><u@h.example></e>`, `<e>&lt;u@h.example></e>`},
		{`<h>bad<xml.net</h>`, `<h>bad&lt;xml.net</h>`},
		{`<!-- c --><?pi x?><![CDATA[<raw>]]>`, `<!-- c --><?pi x?><![CDATA[<raw>]]>`},
		{`<!-- open <!-- open`, `&lt;!-- open &lt;!-- open`},
		{`<a b="<">`, `&lt;a b="&lt;">`},
		{`<a b=1>`, `&lt;a b=1>`},
		{`< a>`, `&lt; a>`},
		{`<!DOCTYPE x>`, `<!DOCTYPE x>`},
	}
	for _, tt := range tests {
		got, _ := escapeStrayMarkup([]byte(tt.in))
		if string(got) != tt.out {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.out)
		}
	}
}

func FuzzEscapeStrayMarkup(f *testing.F) {
	f.Add([]byte(`<feedback><email><a@b></email>&x</feedback>`))
	f.Add([]byte(`<!-- <![CDATA[ <? &#x;`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, n := escapeStrayMarkup(data)
		if n == 0 && !bytes.Equal(out, data) {
			t.Fatal("changed without counting")
		}
		// Escaping only adds text: it never adds a "<".
		if bytes.Count(out, []byte("<")) > bytes.Count(data, []byte("<")) {
			t.Fatal("added markup")
		}
	})
}
