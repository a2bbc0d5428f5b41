package arc

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// conformanceDir is testdata/conformance/arc in the repository (see
// testdata/conformance/INDEX.md, section 4). Tests fail, not skip, when it
// is missing.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "conformance", "arc")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the ARC conformance suite is missing (%v): it belongs at testdata/conformance/arc", err)
	}
	return dir
}

// suiteScenario is one scenario of the ValiMail suites, as the JSON
// conversions hold it.
type suiteScenario struct {
	Description string                `json:"description"`
	Tests       map[string]*suiteTest `json:"tests"`
	TXTRecords  map[string]string     `json:"txt-records"`
	Domain      string                `json:"domain"`
	Selector    string                `json:"sel"`
	PrivateKey  string                `json:"privatekey"`
	Order       []string              `json:"-"`
}

type suiteTest struct {
	Spec        any    `json:"spec"`
	Description string `json:"description"`
	Message     string `json:"message"`
	CV          string `json:"cv"`
	// Sign tests.
	T          int64  `json:"t"`
	SigHeaders string `json:"sig-headers"`
	SrvID      string `json:"srv-id"`
	AS         string `json:"AS"`
	AMS        string `json:"AMS"`
	AAR        string `json:"AAR"`
}

// loadSuite reads a JSON conversion of a ValiMail suite, keeping the order
// of each scenario's tests.
func loadSuite(t testing.TB, name string) []*suiteScenario {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir(t), "json", name))
	if err != nil {
		t.Fatalf("the ARC conformance suite is required: %v", err)
	}
	var scs []*suiteScenario
	if err := json.Unmarshal(data, &scs); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// The test order: decode each "tests" object token by token.
	var raws []struct {
		Tests json.RawMessage `json:"tests"`
	}
	if err := json.Unmarshal(data, &raws); err != nil {
		t.Fatal(err)
	}
	for i, r := range raws {
		dec := json.NewDecoder(strings.NewReader(string(r.Tests)))
		dec.Token() // {
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			scs[i].Order = append(scs[i].Order, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
	}
	return scs
}

// fake serves a scenario's TXT records, each split into 255-octet strings
// as a real zone holds it. The signing suite writes its record as a YAML
// block over several lines; the line breaks are the YAML's layout, not
// part of the record, so they are removed.
func fake(records map[string]string) *dnstest.Fake {
	f := dnstest.NewFake()
	for name, value := range records {
		addTXT(f, name, strings.ReplaceAll(strings.TrimSpace(value), "\n", ""))
	}
	return f
}

func addTXT(f *dnstest.Fake, name, value string) {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, value[:255])
		value = value[255:]
	}
	parts = append(parts, value)
	f.AddTXT(name, parts...)
}

// fakeFromLines loads "<name> <TXT value>" lines (stalwart's files).
func fakeFromLines(f *dnstest.Fake, text string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		addTXT(f, name, strings.TrimSpace(value))
	}
}

// crlf converts the suite's LF line ends to CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func at(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }
