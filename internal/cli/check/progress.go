package check

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// progress draws a progress bar on stderr when stderr is a terminal and
// more than one domain is checked; when the number is not known before the
// run (a file read as it goes), a count and a rate.
type progress struct {
	mu    sync.Mutex
	io    *cmdutil.IOStreams
	total int
	n     int
	start time.Time
	last  time.Time
	on    bool
}

// newProgress returns the progress of a run of total domains (0: not
// known).
func newProgress(f *cmdutil.Factory, total int) *progress {
	return &progress{io: f.IO, total: total, start: time.Now(), on: f.IO.StderrTTY && !f.IO.Quiet && total != 1}
}

func (p *progress) step() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	now := time.Now()
	if (p.total <= 0 || p.n < p.total) && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	rate := float64(p.n) / now.Sub(p.start).Seconds()
	if p.total <= 0 {
		p.io.Progress(fmt.Sprintf("%d domains  %.0f/s ", p.n, rate))
		return
	}
	const width = 30
	filled := width * min(p.n, p.total) / p.total
	p.io.Progress(fmt.Sprintf("[%s%s] %d/%d domains  %.0f/s ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.n, p.total, rate))
}

func (p *progress) done() {
	if p.on {
		p.io.ProgressDone()
	}
}
