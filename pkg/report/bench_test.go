package report

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/penguinmails/emailauth/pkg/check"
)

// bulkReport is n domains cycled from the sample, each with its own name.
func bulkReport(n int) *check.Report {
	sample := sampleReport()
	r := &check.Report{Schema: check.Schema}
	for i := 0; i < n; i++ {
		d := *sample.Domains[i%len(sample.Domains)]
		d.Domain = fmt.Sprintf("d%d.%s", i, d.Domain)
		r.Domains = append(r.Domains, &d)
		check.Count(&r.Summary, &d)
	}
	return r
}

// BenchmarkRender renders a bulk run of 10,000 domains in each format.
func BenchmarkRender(b *testing.B) {
	r := bulkReport(10000)
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			cw := &countingWriter{}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				cw.n = 0
				if err := WriteReport(format, cw, r, Options{StepSummary: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(cw.n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(r.Domains)), "ns/domain")
		})
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkDecode reads a stored bulk run of 10,000 domains back, as json
// and as jsonl, into a Merge.
func BenchmarkDecode(b *testing.B) {
	r := bulkReport(10000)
	for _, format := range []string{"json", "jsonl"} {
		stored := render(b, format, r, Options{})
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stored)))
			for i := 0; i < b.N; i++ {
				var m Merge
				if _, err := Decode(bytes.NewReader(stored), ReadOptions{}, func(d *check.DomainResult) error { m.Add(d); return nil }); err != nil {
					b.Fatal(err)
				}
				if m.Len() != len(r.Domains) {
					b.Fatalf("%d domains", m.Len())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(r.Domains)), "ns/domain")
		})
	}
}
