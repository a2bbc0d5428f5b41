package report

import (
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
