package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
)

// BenchmarkConformanceDirectory reads every sample report (the parsedmarc
// samples and the stalwart TLS reports, 48 files) into a Digest.
func BenchmarkConformanceDirectory(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := NewCollector(CollectorOptions{})
		for it := range NewReader(Options{}).Read(context.Background(), filepath.Join(conformance, "reports"), filepath.Join(conformance, "tlsrpt")) {
			c.Add(it)
		}
		if d := c.Result(context.Background(), aggregate.ResultOptions{}); d.Stats.Aggregate != 20 {
			b.Fatal(d.Stats)
		}
	}
}

// yearMbox writes an mbox of reports: days days of reports from reporters
// receivers, each report a gzip attachment with rows rows from a fixed
// pool of 2,000 sources (so that what is kept cannot grow with the
// reports, only with the sources).
func yearMbox(tb testing.TB, path string, days, reporters, rows int) int64 {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var xml bytes.Buffer
	for d := 0; d < days; d++ {
		begin := 1767225600 + int64(d)*86400
		for r := 0; r < reporters; r++ {
			xml.Reset()
			fmt.Fprintf(&xml, `<?xml version="1.0"?><feedback><report_metadata><org_name>receiver%d.example</org_name><email>r@receiver%d.example</email><report_id>%d-%d</report_id><date_range><begin>%d</begin><end>%d</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>`, r, r, d, r, begin, begin+86399)
			for i := 0; i < rows; i++ {
				src := (d*7 + r*131 + i) % 2000
				res := "pass"
				if src%10 == 0 {
					res = "fail"
				}
				fmt.Fprintf(&xml, `<record><row><source_ip>198.51.%d.%d</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition><dkim>%s</dkim><spf>%s</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>%s</result></dkim><spf><domain>example.com</domain><result>%s</result></spf></auth_results></record>`, src/250, src%250, i%7+1, res, res, res, res)
			}
			xml.WriteString(`</feedback>`)
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(xml.Bytes())
			w.Close()
			fmt.Fprintf(f, "From noreply@receiver%d.example Thu Jan  1 00:00:00 2026\nFrom: noreply@receiver%d.example\nSubject: Report Domain: example.com Report-ID: %d-%d\nMIME-Version: 1.0\nContent-Type: application/gzip; name=\"r.xml.gz\"\nContent-Transfer-Encoding: base64\n\n", r, r, d, r)
			enc := base64.StdEncoding.EncodeToString(gz.Bytes())
			for len(enc) > 76 {
				fmt.Fprintln(f, enc[:76])
				enc = enc[76:]
			}
			fmt.Fprintf(f, "%s\n\n", enc)
		}
	}
	fi, _ := f.Stat()
	return fi.Size()
}

// BenchmarkYearMbox streams a year of daily reports from 10 receivers
// (3,650 reports of 100 rows, 365,000 rows) out of one mbox file into a
// Digest, and reports the peak heap: it stays near what one message and
// the per-source totals need, whatever the number of reports.
var benchDays = 365

func BenchmarkYearMbox(b *testing.B) {
	path := filepath.Join(b.TempDir(), "year.mbox")
	size := yearMbox(b, path, benchDays, 10, 100)
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		c := NewCollector(CollectorOptions{})
		n := 0
		for it := range NewReader(Options{}).Read(context.Background(), path) {
			if it.Err != nil {
				b.Fatal(it.Err)
			}
			c.Add(it)
			if n++; n%100 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
			}
		}
		d := c.Result(context.Background(), aggregate.ResultOptions{})
		if d.Stats.Aggregate != benchDays*10 || len(d.DMARC.Domains[0].Sources) != 2000 {
			b.Fatal(d.Stats, len(d.DMARC.Domains[0].Sources))
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(benchDays*1000)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
