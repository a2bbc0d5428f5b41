package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./pkg/report -update rewrites it; review the diff)\n--- got:\n%s", path, got)
	}
}

func render(t testing.TB, format string, r *check.Report, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteReport(format, &b, r, opts); err != nil {
		t.Fatalf("WriteReport(%s): %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		file   string
		format string
		opts   Options
	}{
		{"sample.table.txt", "table", Options{}},
		{"sample.table-verbose.txt", "table", Options{Verbose: true}},
		{"sample.table-color.txt", "table", Options{Color: true}},
		{"sample.table-narrow.txt", "table", Options{Width: 60}},
		{"sample.json", "json", Options{}},
		{"sample.jsonl", "jsonl", Options{}},
		{"sample.csv", "csv", Options{}},
		{"sample.junit.xml", "junit", Options{}},
		{"sample.junit-failon-warning.xml", "junit", Options{FailOn: finding.Warning}},
		{"sample.github.txt", "github", Options{}},
		{"sample.github-failon-warning.txt", "github", Options{FailOn: finding.Warning, Verbose: true}},
		{"sample.md", "markdown", Options{}},
		{"sample-verbose.md", "markdown", Options{Verbose: true}},
		{"sample.html", "html", Options{}},
		{"sample-verbose.html", "html", Options{Verbose: true}},
		{"sample-summary.html", "html", Options{Summary: true}},
		{"sample-only-warn.html", "html", Options{Only: finding.StatusWarn}},
		{"sample.table-summary.txt", "table", Options{Summary: true}},
		{"sample.table-summary-only-fail.txt", "table", Options{Summary: true, Only: finding.StatusFail}},
		{"sample.table-only-warn.txt", "table", Options{Only: finding.StatusWarn}},
		{"sample-summary.md", "markdown", Options{Summary: true}},
		{"sample-only-fail.md", "markdown", Options{Only: finding.StatusFail}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			golden(t, c.file, render(t, c.format, sampleReport(), c.opts))
		})
	}
	t.Run("sample.github-step-summary.md", func(t *testing.T) {
		var summary bytes.Buffer
		render(t, "github", sampleReport(), Options{StepSummary: &summary})
		golden(t, "sample.github-step-summary.md", summary.Bytes())
		// The step summary is the markdown format.
		if md := render(t, "markdown", sampleReport(), Options{}); !bytes.Equal(md, summary.Bytes()) {
			t.Error("the github step summary differs from the markdown format")
		}
	})
}

// TestEmpty: a run with no domains still writes a complete document.
func TestEmpty(t *testing.T) {
	empty := &check.Report{Schema: check.Schema}
	want := map[string]string{
		"table":    "0 domains: 0 pass, 0 warn, 0 fail, 0 error\n",
		"json":     "{\n  \"schema\": \"emailauth.report/v1\",\n  \"domains\": [],\n  \"summary\": {\n    \"domains\": 0,\n    \"pass\": 0,\n    \"warn\": 0,\n    \"fail\": 0,\n    \"error\": 0,\n    \"invalid\": 0\n  }\n}\n",
		"jsonl":    "",
		"csv":      "domain,domain_status,check,check_status,code,severity,message,fix,name\n",
		"junit":    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"emailauth\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n</testsuites>\n",
		"github":   "emailauth: 0 domains: 0 pass, 0 warn, 0 fail, 0 error\n",
		"markdown": "## emailauth check report\n\n**0 domains: 0 pass, 0 warn, 0 fail, 0 error**\n\nNo domains were checked.\n",
	}
	for _, f := range Formats {
		got := string(render(t, f, empty, Options{}))
		if f == "html" {
			// The whole page, its style sheet and all: see TestHTMLEmpty.
			if !strings.Contains(got, "<p>No domains were checked.</p>") || !strings.HasSuffix(got, "</html>\n") {
				t.Errorf("html of an empty report:\n%s", got)
			}
			continue
		}
		if got != want[f] {
			t.Errorf("%s of an empty report:\n got %q\nwant %q", f, got, want[f])
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	_, err := New("yaml", &bytes.Buffer{}, Options{})
	if err == nil {
		t.Fatal("New(yaml) succeeded")
	}
	for _, want := range append([]string{`"yaml"`}, Formats...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if err := WriteReport("yaml", &bytes.Buffer{}, sampleReport(), Options{}); err == nil {
		t.Error("WriteReport(yaml) succeeded")
	}
	if err := WriteReport("json", &bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("WriteReport of a nil report succeeded")
	}
	if _, err := New("json", nil, Options{}); err == nil {
		t.Error("New with a nil io.Writer succeeded")
	}
}

func TestWriterLifecycle(t *testing.T) {
	for _, f := range Formats {
		w, err := New(f, &bytes.Buffer{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteDomain(nil); err == nil {
			t.Errorf("%s: WriteDomain(nil) succeeded", f)
		}
		if err := w.Close(check.Summary{}); err != nil {
			t.Errorf("%s: Close: %v", f, err)
		}
		if err := w.Close(check.Summary{}); err == nil {
			t.Errorf("%s: a second Close succeeded", f)
		}
		if err := w.WriteDomain(sampleReport().Domains[0]); err == nil {
			t.Errorf("%s: WriteDomain after Close succeeded", f)
		}
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, os.ErrClosed
	}
	f.n--
	return len(p), nil
}

// TestWriteErrors: an error of the io.Writer is returned, naming the
// format and the domain, and sticks.
func TestWriteErrors(t *testing.T) {
	for _, f := range Formats {
		if f == "junit" || f == "markdown" || f == "html" {
			// These write only at Close.
			w, _ := New(f, &failingWriter{}, Options{})
			_ = w.WriteDomain(sampleReport().Domains[0])
			if err := w.Close(check.Summary{}); err == nil {
				t.Errorf("%s: Close on a failing writer succeeded", f)
			}
			continue
		}
		w, _ := New(f, &failingWriter{}, Options{})
		err := w.WriteDomain(sampleReport().Domains[0])
		if err == nil || !strings.Contains(err.Error(), f) || !strings.Contains(err.Error(), "ok.example") {
			t.Errorf("%s: WriteDomain on a failing writer: %v", f, err)
		}
		if err2 := w.WriteDomain(sampleReport().Domains[1]); err2 == nil {
			t.Errorf("%s: the write error did not stick", f)
		}
		if err := w.Close(check.Summary{}); err == nil {
			t.Errorf("%s: Close after a write error succeeded", f)
		}
	}
}

// TestNilChecksAndInputUnchanged: nil checks are dropped, and rendering
// does not change the caller's results (json normalizes copies).
func TestNilChecksAndInputUnchanged(t *testing.T) {
	d := &check.DomainResult{Domain: "nil.example", Status: check.StatusPass,
		Checks: []*check.CheckResult{nil, {Check: "mx", Status: check.StatusPass}, nil}}
	for _, f := range Formats {
		var b bytes.Buffer
		w, _ := New(f, &b, Options{})
		if err := w.WriteDomain(d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := w.Close(check.Summary{Domains: 1, Pass: 1}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if len(d.Checks) != 3 || d.Checks[0] != nil || d.Checks[1].Records != nil || d.Checks[1].Findings != nil || d.Checks[1].Details != nil {
		t.Errorf("rendering changed the result: %+v", d.Checks)
	}
}

// TestConcurrentWrites: a Writer may be fed from several goroutines.
func TestConcurrentWrites(t *testing.T) {
	var b bytes.Buffer
	w, _ := New("jsonl", &b, Options{})
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func() {
			var err error
			for j := 0; j < 50 && err == nil; j++ {
				err = w.WriteDomain(sampleReport().Domains[2])
			}
			done <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close(check.Summary{})
	if n := strings.Count(b.String(), "\n"); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
}
