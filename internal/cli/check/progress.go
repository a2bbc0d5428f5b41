package check

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// progress draws a progress bar on stderr when stderr is a terminal and
// more than one domain is checked.
type progress struct {
	mu    sync.Mutex
	io    *cmdutil.IOStreams
	total int
	n     int
	start time.Time
	last  time.Time
	on    bool
}

func newProgress(f *cmdutil.Factory, total int) *progress {
	return &progress{io: f.IO, total: total, start: time.Now(), on: f.IO.StderrTTY && !f.IO.Quiet && total > 1}
}

func (p *progress) step() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	now := time.Now()
	if p.n < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	filled := width * p.n / p.total
	rate := float64(p.n) / now.Sub(p.start).Seconds()
	p.io.Progress(fmt.Sprintf("[%s%s] %d/%d domains  %.0f/s ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.n, p.total, rate))
}

func (p *progress) done() {
	if p.on {
		p.io.ProgressDone()
	}
}
