package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport"
)

var conformance = filepath.Join("..", "..", "..", "testdata", "conformance")

type got struct {
	kind Kind
	dup  bool
	err  string // "not-report", "error" or ""
}

func readAll(t testing.TB, r *Reader, paths ...string) map[string]got {
	t.Helper()
	out := map[string]got{}
	for it := range r.Read(context.Background(), paths...) {
		rel, err := filepath.Rel(conformance, it.Source)
		if err != nil {
			rel = it.Source
		}
		g := got{kind: it.Kind, dup: it.Duplicate}
		switch {
		case it.NotReport():
			g.err = "not-report"
		case it.Err != nil:
			g.err = "error"
		}
		out[rel] = g
	}
	return out
}

// Every parsedmarc sample and stalwart TLS report, read from their
// directories with the kind recognized from the content: aggregate/,
// aggregate_invalid/ and extract_report/ as aggregate reports, failure/ as
// failure reports, smtp_tls/ and the stalwart files as TLS reports, and
// empty.xml (with LICENSE and ORIGIN.md) refused as not a report.
// Duplicates are reports read twice (same kind, reporter and report ID).
func TestConformanceDirectories(t *testing.T) {
	const pm = "reports/parsedmarc/"
	want := map[string]got{
		pm + "LICENSE":   {err: "not-report"},
		pm + "ORIGIN.md": {err: "not-report"},
		pm + "empty.xml": {err: "not-report"},
		pm + "aggregate/!example.com!1538204542!1538463818.xml":       {kind: KindAggregate},
		pm + "aggregate/!large-example.com!1711897200!1711983600.xml": {kind: KindAggregate},
		pm + "aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml:google.com!borschow.com!1549929600!1550015999.zip:google.com!borschow.com!1549929600!1550015999.xml": {kind: KindAggregate},
		pm + "aggregate/addisonfoods.com!example.com!1536105600!1536191999.xml": {kind: KindAggregate},
		pm + "aggregate/empty_reason.xml":                                       {kind: KindAggregate},
		pm + "aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip:estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml": {kind: KindAggregate},
		pm + "aggregate/example.net!example.com!1529366400!1529452799.xml":               {kind: KindAggregate},
		pm + "aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz": {kind: KindAggregate},
		pm + "aggregate/ikea.com!example.de!1538690400!1538776800.xml":                   {kind: KindAggregate},
		// The same report as !example.com!1538204542!1538463818.xml.
		pm + "aggregate/invalid_utf_8.xml": {kind: KindAggregate, dup: true},
		pm + "aggregate/invalid_xml.xml":   {kind: KindAggregate},
		pm + "aggregate/mimecast-weird-gzip.eml:mimecast.org!ab.id.au!1693353600!1693439999!157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e.xml.gz": {kind: KindAggregate},
		pm + "aggregate/old_draft_from_wiki.xml":                                                                                      {kind: KindAggregate},
		pm + "aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml":                                                 {kind: KindAggregate},
		pm + "aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml":                                                    {kind: KindAggregate},
		pm + "aggregate/rfc9990-sample.xml":                                                                                           {kind: KindAggregate},
		pm + "aggregate/twilight.eml:google.com!twlnet.com!1549756800!1549843199.zip:google.com!twlnet.com!1549756800!1549843199.xml": {kind: KindAggregate},
		pm + "aggregate/usssa.com!example.com!1538784000!1538870399.xml":                                                              {kind: KindAggregate},
		// The same report as invalid_xml.xml.
		pm + "aggregate/veeam.com!example.com!1530133200!1530219600.xml":                                              {kind: KindAggregate, dup: true},
		pm + "aggregate_invalid/report_with_upper_cased_pass.xml":                                                     {kind: KindAggregate},
		pm + "extract_report/changed-input.xml":                                                                       {kind: KindAggregate},
		pm + "extract_report/nice-input.xml":                                                                          {kind: KindAggregate},
		pm + "extract_report/nice-input.xml.gz":                                                                       {kind: KindAggregate, dup: true},
		pm + "extract_report/nice-input.xml.zip:nice-input.xml":                                                       {kind: KindAggregate, dup: true},
		pm + "failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml":        {kind: KindFailure},
		pm + "failure/[Netease DMARC Failure Report] Rent Reminder.eml":                                               {kind: KindFailure},
		pm + "failure/dmarc_ruf_report_linkedin.crlf.eml:#1":                                                          {kind: KindFailure},
		pm + "failure/dmarc_ruf_report_linkedin.eml:#1":                                                               {kind: KindFailure, dup: true},
		pm + "failure/exim_plain_text_only_no_arf_part.eml":                                                           {kind: KindFailure},
		pm + "smtp_tls/google.com_smtp_tls_report.eml:google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz": {kind: KindTLS},
		pm + "smtp_tls/mail.ru.json":                                                                                  {kind: KindTLS},
		pm + "smtp_tls/rfc8460.json":                                                                                  {kind: KindTLS},
		pm + "smtp_tls/smtp_tls.json":                                                                                 {kind: KindTLS},
		"tlsrpt/stalwart-mail-auth/LICENSE-MIT.txt":                                                                   {err: "not-report"},
		// rpt01 is the RFC 8460 example, as rfc8460.json.
		"tlsrpt/stalwart-mail-auth/rpt01.eml:mail.sender.example!example.com!1013662812!1013749130.json.gz": {kind: KindTLS, dup: true},
		"tlsrpt/stalwart-mail-auth/rpt01.json": {kind: KindTLS, dup: true},
		"tlsrpt/stalwart-mail-auth/rpt02.eml:mail.sender.example!example.com!1013662812!1013749130.json": {kind: KindTLS},
		"tlsrpt/stalwart-mail-auth/rpt02.json": {kind: KindTLS, dup: true},
		"tlsrpt/stalwart-mail-auth/rpt03.json": {kind: KindTLS},
	}
	g := readAll(t, NewReader(Options{}), filepath.Join(conformance, "reports"), filepath.Join(conformance, "tlsrpt"))
	for k, w := range want {
		if g[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, g[k], w)
		}
	}
	for k := range g {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected item %s: %+v", k, g[k])
		}
	}
}

func TestCollectorDigest(t *testing.T) {
	r := NewReader(Options{})
	c := NewCollector(CollectorOptions{Tenants: map[string]string{"example.com": "acme", "company-y.example": "ycorp"}})
	for it := range r.Read(context.Background(), filepath.Join(conformance, "reports"), filepath.Join(conformance, "tlsrpt")) {
		c.Add(it)
	}
	d := c.Result(context.Background(), aggregate.ResultOptions{})
	want := Stats{Aggregate: 20, Failure: 4, TLS: 6, Duplicates: 8, NotReports: 4, Errors: 0, Warnings: 12}
	if d.Stats != want {
		t.Errorf("stats %+v, want %+v", d.Stats, want)
	}
	if len(d.Errors) != 4 || len(d.Warnings) != 12 {
		t.Errorf("%d errors, %d warnings", len(d.Errors), len(d.Warnings))
	}
	if d.DMARC.Reports != 20 || d.TLS.Reports != 6 || d.Failures.Reports != 4 {
		t.Errorf("dmarc %d tls %d failures %d", d.DMARC.Reports, d.TLS.Reports, d.Failures.Reports)
	}
	var acme *TenantDigest
	for i := range d.Tenants {
		if d.Tenants[i].Tenant == "acme" {
			acme = &d.Tenants[i]
		}
	}
	// example.com: the DMARC analysis warns about unauthenticated
	// sources; its TLS failures are warnings too, the latest policy seen
	// being in testing mode.
	if acme == nil || acme.Messages != 8523 || acme.DMARCFail != 2296 || acme.TLSFailed != 5 || acme.FailureReports != 2 || acme.Status != finding.StatusWarn || acme.Verdicts[aggregate.VerdictReady] != 1 {
		t.Errorf("acme: %+v", acme)
	}
	worst := finding.StatusSkip
	for _, x := range d.DMARC.Domains {
		worst = finding.Worst(worst, x.Status)
	}
	for _, x := range d.TLS.Domains {
		worst = finding.Worst(worst, x.Status)
	}
	if d.Status != worst {
		t.Errorf("status %s, want %s", d.Status, worst)
	}
}

func eml(t testing.TB, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(conformance, rel))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	if bytes.HasPrefix(b, []byte("From ")) {
		b = b[bytes.IndexByte(b, '\n')+1:]
	}
	return b
}

// A mailbox holding one report of each kind and a message that is none.
func mailbox(t testing.TB) []byte {
	var b bytes.Buffer
	for _, m := range [][]byte{
		eml(t, "reports/parsedmarc/aggregate/twilight.eml"),
		eml(t, "reports/parsedmarc/failure/dmarc_ruf_report_linkedin.eml"),
		[]byte("From: someone@example.com\nSubject: hello\n\nFrom the desk of someone: not a report.\n"),
		eml(t, "reports/parsedmarc/smtp_tls/google.com_smtp_tls_report.eml"),
	} {
		b.WriteString("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
		b.Write(bytes.ReplaceAll(m, []byte("\nFrom "), []byte("\n>From ")))
		b.WriteString("\n")
	}
	return b.Bytes()
}

func TestMbox(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reports.mbox")
	if err := os.WriteFile(p, mailbox(t), 0o644); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for it := range NewReader(Options{}).Read(context.Background(), p) {
		k := string(it.Kind)
		if it.NotReport() {
			k = "not-report"
		} else if it.Err != nil {
			k = it.Err.Error()
		}
		kinds = append(kinds, strings.TrimPrefix(it.Source, p)+" "+k)
	}
	want := []string{
		":#1:google.com!twlnet.com!1549756800!1549843199.zip:google.com!twlnet.com!1549756800!1549843199.xml aggregate",
		":#2 failure",
		":#3 not-report",
		":#4:google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz tls",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("%q", kinds)
	}
}

func TestMaildir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Maildir")
	for _, d := range []string{"cur", "new", "tmp", ".Reports/cur", ".Reports/new", ".Reports/tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	write := func(rel string, data []byte) {
		if err := os.WriteFile(filepath.Join(root, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cur/1700000000.1.host:2,S", eml(t, "reports/parsedmarc/aggregate/twilight.eml"))
	write("new/1700000001.2.host", eml(t, "reports/parsedmarc/failure/exim_plain_text_only_no_arf_part.eml"))
	write("tmp/1700000002.3.host", []byte("half-delivered"))
	write(".Reports/new/1700000003.4.host", eml(t, "tlsrpt/stalwart-mail-auth/rpt02.eml"))
	var got []string
	for it := range NewReader(Options{}).Read(context.Background(), root) {
		rel, _ := filepath.Rel(root, it.Source)
		got = append(got, rel+" "+string(it.Kind))
		if it.Err != nil {
			t.Errorf("%s: %v", it.Source, it.Err)
		}
	}
	want := []string{
		"cur/1700000000.1.host:2,S:google.com!twlnet.com!1549756800!1549843199.zip:google.com!twlnet.com!1549756800!1549843199.xml aggregate",
		"new/1700000001.2.host failure",
		".Reports/new/1700000003.4.host:mail.sender.example!example.com!1013662812!1013749130.json tls",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q", got)
	}
}

func TestDirectoryWalk(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a", "b"), 0o755)
	os.MkdirAll(filepath.Join(root, ".hidden"), 0o755)
	x, _ := os.ReadFile(filepath.Join(conformance, "reports/parsedmarc/aggregate/usssa.com!example.com!1538784000!1538870399.xml"))
	os.WriteFile(filepath.Join(root, "a", "b", "r.xml"), x, 0o644)
	os.WriteFile(filepath.Join(root, ".hidden", "r.xml"), x, 0o644)
	os.WriteFile(filepath.Join(root, "a", "broken.xml"), []byte("<feedback><report_metadata>"), 0o644)
	os.WriteFile(filepath.Join(root, "z.xml"), []byte(`<!DOCTYPE x [<!ENTITY a "b">]><feedback/>`), 0o644)
	if err := os.Symlink(root, filepath.Join(root, "loop")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	var got []string
	for it := range NewReader(Options{}).Read(context.Background(), root, filepath.Join(root, "missing.xml")) {
		rel, _ := filepath.Rel(root, it.Source)
		s := rel + " " + string(it.Kind)
		if it.Err != nil {
			s = rel + " error"
			if !strings.Contains(it.Err.Error(), it.Source) {
				t.Errorf("error %q does not name %s", it.Err, it.Source)
			}
		}
		got = append(got, s)
	}
	want := []string{"a/b/r.xml aggregate", "a/broken.xml error", "loop error", "z.xml error", "missing.xml error"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q", got)
	}
}

func TestLimitsAndStdin(t *testing.T) {
	x, _ := os.ReadFile(filepath.Join(conformance, "reports/parsedmarc/aggregate/usssa.com!example.com!1538784000!1538870399.xml"))
	r := NewReader(Options{Stdin: bytes.NewReader(x)})
	var items []Item
	for it := range r.Read(context.Background(), "-") {
		items = append(items, it)
	}
	if len(items) != 1 || items[0].Kind != KindAggregate || items[0].Source != "-" {
		t.Fatalf("%+v", items)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.xml")
	os.WriteFile(big, bytes.Repeat([]byte(" "), 5000), 0o644)
	for it := range NewReader(Options{Limits: mailreport.Limits{MaxInput: 1000}}).Read(context.Background(), big) {
		if !errors.Is(it.Err, mailreport.ErrTooLarge) {
			t.Errorf("big: %v", it.Err)
		}
	}
	// A cancelled context stops the walk.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for it := range NewReader(Options{}).Read(ctx, filepath.Join(conformance, "reports")) {
		t.Errorf("item after cancel: %s", it.Source)
	}
	// Breaking out of the loop stops it too.
	n := 0
	for range NewReader(Options{}).Read(context.Background(), filepath.Join(conformance, "reports")) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d", n)
	}
}

func TestTenantFunc(t *testing.T) {
	f := TenantFunc(map[string]string{"Example.com.": "acme", "mail.example.com": "acme-mail", "example.org": "org"})
	for d, want := range map[string]string{"example.com": "acme", "a.b.example.com": "acme", "mail.example.com": "acme-mail", "x.mail.example.com": "acme-mail", "example.net": "", "com": "", "": ""} {
		if got := f(d); got != want {
			t.Errorf("%q: %q", d, got)
		}
	}
	if TenantFunc(nil)("example.com") != "" {
		t.Error("nil map")
	}
}

func FuzzReader(f *testing.F) {
	for _, rel := range []string{
		"reports/parsedmarc/aggregate/twilight.eml",
		"reports/parsedmarc/failure/dmarc_ruf_report_linkedin.eml",
		"reports/parsedmarc/smtp_tls/rfc8460.json",
		"reports/parsedmarc/aggregate/ikea.com!example.de!1538690400!1538776800.xml",
		"reports/parsedmarc/aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz",
	} {
		b, err := os.ReadFile(filepath.Join(conformance, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := mailreport.Limits{MaxInput: 1 << 20, MaxExpanded: 1 << 20, MaxRecords: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(Options{Limits: lim, Stdin: bytes.NewReader(data)})
		c := NewCollector(CollectorOptions{})
		for it := range r.Read(context.Background(), "-") {
			if it.Err == nil && it.Kind == "" {
				t.Fatal("an item with neither a report nor an error")
			}
			if it.Failure != nil && it.Failure.Personal != nil {
				t.Fatal("personal data without ShowHeaders")
			}
			c.Add(it)
		}
		d := c.Result(context.Background(), aggregate.ResultOptions{})
		for _, x := range d.DMARC.Domains {
			if p := x.Readiness.PassShare; p < 0 || p > 1 {
				t.Fatalf("share %v", p)
			}
		}
	})
}
