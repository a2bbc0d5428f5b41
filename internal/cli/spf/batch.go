package spf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// maxBatchLine bounds one line of --file: a mail-log line with an IP, an
// address of at most 256 octets and a host name fits many times over.
const maxBatchLine = 4096

// batchLine is one connection of --file, parsed.
type batchLine struct {
	seq      int // the how-manieth connection, from 0: the order of output
	n        int // line number, from 1
	ip       netip.Addr
	mailFrom string
	helo     string
	invalid  string // why the line cannot be evaluated
	input    string // the line, for an invalid one
}

// batchResult is the JSON line of one connection.
type batchResult struct {
	Line     int    `json:"line"`
	IP       string `json:"ip,omitempty"`
	MailFrom string `json:"mail_from"`
	Helo     string `json:"helo,omitempty"`
	*spf.Result
	Status finding.Status `json:"status,omitempty"`
	// Invalid says why the line was not evaluated; Input is the line.
	Invalid string `json:"invalid,omitempty"`
	Input   string `json:"input,omitempty"`
}

// parseBatchLine reads "IP MAIL-FROM [HELO]", separated by whitespace or
// commas. ok is false for a blank line or a comment.
func parseBatchLine(n int, text string) (l batchLine, ok bool) {
	l.n = n
	text = strings.TrimSpace(text)
	if text == "" || text[0] == '#' {
		return l, false
	}
	sep := func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }
	var fields []string
	if strings.ContainsRune(text, ',') {
		// With commas, an empty field is the null reverse-path.
		for _, f := range strings.Split(text, ",") {
			fields = append(fields, strings.TrimSpace(f))
		}
	} else {
		fields = strings.FieldsFunc(text, sep)
	}
	bad := func(format string, args ...any) (batchLine, bool) {
		l.invalid, l.input = fmt.Sprintf(format, args...), text
		return l, true
	}
	if len(fields) < 2 || len(fields) > 3 {
		return bad("want 2 or 3 fields (IP, MAIL FROM, HELO), found %d", len(fields))
	}
	ip, err := netip.ParseAddr(fields[0])
	if err != nil || ip.Zone() != "" {
		return bad("%q is not an IP address", fields[0])
	}
	l.ip = ip
	from := fields[1]
	if strings.HasPrefix(from, "<") && strings.HasSuffix(from, ">") {
		from = from[1 : len(from)-1]
	}
	if from == `""` {
		from = ""
	}
	if len(fields) == 3 {
		l.helo = aLabels(fields[2])
	}
	if from == "" {
		if l.helo == "" {
			return bad("the null reverse-path checks the HELO identity: give the HELO name as the third field")
		}
	} else {
		at := strings.LastIndexByte(from, '@')
		if at < 0 {
			return bad("%q is not a mail address (use <> for the null reverse-path)", from)
		}
		from = from[:at+1] + aLabels(from[at+1:])
	}
	l.mailFrom = from
	return l, true
}

// runEvalFile evaluates the connections of opts.File, opts.Concurrency at a
// time, and writes one JSON line each, in the order of the file. The lines
// are read as they are needed and written as soon as the ones before them
// are: memory stays bounded whatever the length of the file.
func runEvalFile(f *cmdutil.Factory, opts *EvalOptions) error {
	var in io.Reader = f.IO.In
	name := "standard input"
	if opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return cmdutil.BadInputHint("--file", err, "give a file of connections, one per line: IP MAIL-FROM HELO")
		}
		defer fh.Close()
		in, name = fh, opts.File
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	ctx := f.Ctx()
	evalOpts := spf.Options{Receiver: opts.Receiver, Now: f.Now, DefaultExplanation: opts.DefaultExplanation}

	workers := opts.Concurrency
	// window bounds the lines read but not yet written, so a slow line
	// (a DNS timeout) holds back at most this many finished ones.
	window := make(chan struct{}, 4*workers)
	lines := make(chan batchLine, workers)
	type done struct {
		n   int // sequence number of the evaluated lines, from 0
		res batchResult
	}
	results := make(chan done, workers)

	var readErr error
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, maxBatchLine), maxBatchLine)
		n, seq := 0, 0
		for sc.Scan() {
			n++
			l, ok := parseBatchLine(n, sc.Text())
			if !ok {
				continue
			}
			l.seq = seq
			seq++
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			lines <- l
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("line %d is longer than %d octets", n+1, maxBatchLine)
			}
			readErr = err
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range lines {
				res := batchResult{Line: l.n, MailFrom: l.mailFrom, Helo: l.helo}
				if l.invalid != "" {
					res.Invalid, res.Input = l.invalid, l.input
				} else {
					res.IP = l.ip.String()
					res.Result = spf.CheckMailFrom(ctx, r, l.ip, l.mailFrom, l.helo, evalOpts)
					res.Status = res.Result.Result.Status()
				}
				results <- done{l.seq, res}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var tally finding.Tally
	pending := map[int]batchResult{}
	want := 0
	w := bufio.NewWriterSize(f.IO.Out, 64*1024)
	enc := json.NewEncoder(w)
	var writeErr error
	for d := range results {
		pending[d.n] = d.res
		for {
			res, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if res.Invalid != "" {
				tally.AddInvalid()
			} else {
				tally.Add(res.Status)
			}
			if writeErr == nil {
				writeErr = enc.Encode(res)
			}
			<-window
		}
		if len(results) == 0 && writeErr == nil {
			writeErr = w.Flush() // nothing more ready: let a reader see what is done
		}
	}
	if writeErr == nil {
		writeErr = w.Flush()
	}
	if writeErr != nil {
		return writeErr
	}
	if readErr != nil {
		return cmdutil.BadInput("--file", fmt.Errorf("reading %s: %w", name, readErr))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if tally.Domains == 0 {
		return cmdutil.BadInputHint("--file", fmt.Errorf("%s holds no connection", name), "give one connection per line: IP MAIL-FROM HELO")
	}
	return cmdutil.ExitFor(tally, finding.Error)
}
