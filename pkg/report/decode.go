package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Reading stored reports back: a nightly run writes json or jsonl once, and
// `emailauth report render` renders it again, in any format, for every
// audience, without asking DNS again.

// Default bounds of ReadOptions.
const (
	DefaultMaxLineBytes = 16 << 20
	DefaultMaxDomains   = 1_000_000
)

// ReadOptions bound what Decode reads: a stored report is a file someone
// gave us, and may be damaged or not a report at all.
type ReadOptions struct {
	// MaxLineBytes bounds a line of JSON lines, and a domain result inside
	// a whole document (checked to within 64 KiB there). 0 means
	// DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxDomains bounds the domain results of one input. 0 means
	// DefaultMaxDomains.
	MaxDomains int
}

func (o ReadOptions) maxLine() int {
	if o.MaxLineBytes <= 0 {
		return DefaultMaxLineBytes
	}
	return o.MaxLineBytes
}

func (o ReadOptions) maxDomains() int {
	if o.MaxDomains <= 0 {
		return DefaultMaxDomains
	}
	return o.MaxDomains
}

// Stored says what Decode read from one input.
type Stored struct {
	// Domains counts the domain results read.
	Domains int
	// Documents counts the whole reports (json format) read; the other
	// domain results came as JSON lines.
	Documents int
	// NotChecked adds up the summary.not_checked of the whole reports: the
	// inputs an interrupted run never reached, which have no result.
	NotChecked int
}

// ErrNotReport is wrapped by the errors of Decode about input that is not
// an emailauth report (as opposed to a read error of the reader).
var ErrNotReport = errors.New("not an emailauth.report/v1 report")

// DecodeError is an error of Decode about the input: where it is (the
// line, 1-based), and what is wrong. It wraps ErrNotReport.
type DecodeError struct {
	Line int
	Err  error
}

func (e *DecodeError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns both the cause and ErrNotReport.
func (e *DecodeError) Unwrap() []error { return []error{e.Err, ErrNotReport} }

// Decode reads stored results of `emailauth check` from r and calls fn with
// each domain result, in the order they are stored:
//
//   - a whole report, the json format (`{"schema": "emailauth.report/v1",
//     "domains": [...], "summary": {...}}`), indented or on one line;
//   - JSON lines, the jsonl format: one domain result per line, such as the
//     concatenated outputs of several shards;
//   - or any sequence of these (blank lines are ignored).
//
// A whole report is read a domain at a time, so its size is bounded only by
// opts.MaxDomains; a line of JSON lines by opts.MaxLineBytes. A result's
// details are kept as the raw JSON they were stored as
// (json.RawMessage), so the json and jsonl formats write them again byte
// for byte; fields this version does not know are dropped. Statuses,
// severities and the schema are checked; a result that is not valid is an
// error naming its line (*DecodeError, which wraps ErrNotReport). fn's
// error stops the decoding and is returned as it is.
func Decode(r io.Reader, opts ReadOptions, fn func(*check.DomainResult) error) (Stored, error) {
	d := &decoder{br: bufio.NewReaderSize(r, 64<<10), opts: opts, fn: fn, line: 1}
	err := d.run()
	return d.st, err
}

type decoder struct {
	br   *bufio.Reader
	opts ReadOptions
	fn   func(*check.DomainResult) error
	st   Stored
	line int // the line the next byte of br is on
}

func (d *decoder) fail(line int, format string, args ...any) error {
	return &DecodeError{Line: line, Err: fmt.Errorf(format, args...)}
}

func (d *decoder) run() error {
	for {
		// Skip the white space between values.
		b, err := d.br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch b {
		case '\n':
			d.line++
			continue
		case ' ', '\t', '\r':
			continue
		case '{':
		case 0xef: // a UTF-8 byte-order mark, as some editors write
			if rest, _ := d.br.Peek(2); string(rest) == "\xbb\xbf" {
				_, _ = d.br.Discard(2)
				continue
			}
			fallthrough
		default:
			return d.fail(d.line, "found %q where a JSON object ({...}) should start: the input is not a json or jsonl report", b)
		}
		if err := d.br.UnreadByte(); err != nil {
			return err
		}
		line, complete, err := d.readLine()
		if err != nil {
			return err
		}
		start := d.line
		if complete && json.Valid(line) {
			// A value on one line: a domain result, or a whole report.
			d.line++
			if err := d.oneLine(line, start); err != nil {
				return err
			}
			continue
		}
		// The start of a value over several lines: a whole, indented
		// report, read a domain at a time. (Or a line too long to be
		// read at once, which the document's bounds reject.)
		if err := d.document(io.MultiReader(bytes.NewReader(line), d.br), start, true, !complete); err != nil {
			var de *DecodeError
			if complete && errors.As(err, &de) && errors.Is(de.Err, errDomainFirst) && string(bytes.TrimSpace(line)) != "{" {
				// Not an indented value but a damaged line.
				return d.fail(start, "a domain result that is not valid JSON (%v): each line of the jsonl format holds one whole result", lineError(line))
			}
			return err
		}
	}
}

// readLine reads up to and including the next newline, or to the end of the
// input. complete is false when the line is longer than MaxLineBytes: line
// then holds its start, and the rest is still to be read.
func (d *decoder) readLine() (line []byte, complete bool, err error) {
	max := d.opts.maxLine()
	for {
		chunk, err := d.br.ReadSlice('\n')
		line = append(line, chunk...)
		switch {
		case err == nil, errors.Is(err, io.EOF):
			return line, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(line) > max {
				return line, false, nil
			}
		default:
			return nil, false, err
		}
	}
}

// storedCheck and storedDomain are check.CheckResult and check.DomainResult
// as stored: they embed the model, so every field it has round-trips, and
// override only what must stay raw: details stay raw JSON (re-emitted byte
// for byte), checks are read as stored checks. Statuses are checked after.
type storedCheck struct {
	check.CheckResult
	Details json.RawMessage `json:"details"`
}

type storedDomain struct {
	check.DomainResult
	Checks []*storedCheck `json:"checks"`
}

// isDocument reports whether an object has the keys of a whole report,
// which a domain result has none of.
func isDocument(keys map[string]json.RawMessage) bool {
	_, schema := keys["schema"]
	_, domains := keys["domains"]
	return schema || domains
}

func (d *decoder) oneLine(line []byte, at int) error {
	// The jsonl format writes "domain" first: such a line is a domain
	// result, read at once. Any other object is looked at first.
	if !bytes.HasPrefix(bytes.TrimLeft(line[1:], " \t"), []byte(`"domain"`)) {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(line, &keys); err != nil {
			return d.fail(at, "%v", err)
		}
		if isDocument(keys) {
			return d.document(bytes.NewReader(line), at, false, false)
		}
	}
	var sd storedDomain
	if err := json.Unmarshal(line, &sd); err != nil {
		return d.fail(at, "a domain result: %v", jsonError(err))
	}
	return d.emit(&sd, at)
}

// jsonError drops encoding/json's Go type names from an error, which say
// nothing to someone reading a report.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "the value"
		}
		return fmt.Errorf("%s is a JSON %s, which is not what the report format has there", field, te.Value)
	}
	return err
}

func (d *decoder) emit(sd *storedDomain, at int) error {
	if d.st.Domains >= d.opts.maxDomains() {
		return d.fail(at, "more than %d domain results in one input", d.opts.maxDomains())
	}
	r, err := sd.result()
	if err != nil {
		return d.fail(at, "%v", err)
	}
	d.st.Domains++
	return d.fn(r)
}

// result checks a stored domain result and converts it.
func (sd *storedDomain) result() (*check.DomainResult, error) {
	name := sd.Domain
	switch {
	case sd.Domain == "":
		return nil, errors.New(`a domain result without "domain"`)
	case !sd.Status.Valid():
		return nil, fmt.Errorf("%q: unknown status %q (want pass, warn, fail, error or skip)", name, sd.Status)
	case sd.Checks == nil:
		return nil, fmt.Errorf(`%q: no "checks" (a stored result always has them, [] for an invalid input)`, name)
	}
	out := sd.DomainResult
	out.Checks = make([]*check.CheckResult, 0, len(sd.Checks))
	for i, c := range sd.Checks {
		switch {
		case c == nil:
			return nil, fmt.Errorf("%q: check %d is null", name, i+1)
		case c.Check == "":
			return nil, fmt.Errorf(`%q: check %d has no "check" name`, name, i+1)
		case !c.Status.Valid():
			return nil, fmt.Errorf("%q: check %s: unknown status %q (want pass, warn, fail, error or skip)", name, c.Check, c.Status)
		}
		cr := c.CheckResult
		cr.Details = nil
		if raw := bytes.TrimSpace(c.Details); len(raw) > 0 && string(raw) != "null" {
			cr.Details = c.Details
		}
		out.Checks = append(out.Checks, &cr)
	}
	return &out, nil
}

// document reads a whole report from r, a domain at a time. The report
// starts at line at. stream says that r goes on with the rest of the input,
// which the decoder then gets back; long, that the report's first line was
// longer than MaxLineBytes.
func (d *decoder) document(r io.Reader, at int, stream, long bool) error {
	lim := &budgetReader{r: r, max: d.opts.maxLine()}
	dec := json.NewDecoder(lim)
	where := func(err error) error {
		if errors.Is(err, errBudget) {
			return d.fail(at, "in the report starting here: a value is larger than %d bytes", lim.max)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return d.fail(at, "the report starting here is cut short (the run that wrote it may have been killed)")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return d.fail(at, "in the report starting here, at byte %d of it: %v", se.Offset, err)
		}
		var rerr readError
		if errors.As(err, &rerr) {
			return rerr.err
		}
		return d.fail(at, "in the report starting here: %v", jsonError(err))
	}
	if tok, err := dec.Token(); err != nil {
		return where(err)
	} else if tok != json.Delim('{') {
		return d.fail(at, "want a JSON object")
	}
	schema, sawDomains := "", false
	for first := true; dec.More(); first = false {
		lim.reset()
		tok, err := dec.Token()
		if err != nil {
			return where(err)
		}
		key, _ := tok.(string)
		if first && key == "domain" {
			if long {
				return d.fail(at, "a line longer than %d bytes", lim.max)
			}
			return d.fail(at, "%w", errDomainFirst)
		}
		switch key {
		case "schema":
			if err := dec.Decode(&schema); err != nil {
				return where(err)
			}
			if schema != check.Schema {
				return d.fail(at, "schema %q: this emailauth reads %s", schema, check.Schema)
			}
		case "domains":
			sawDomains = true
			if tok, err := dec.Token(); err != nil {
				return where(err)
			} else if tok != json.Delim('[') {
				return d.fail(at, `"domains" is not an array`)
			}
			for dec.More() {
				lim.reset()
				var sd storedDomain
				if err := dec.Decode(&sd); err != nil {
					return where(err)
				}
				if err := d.emit(&sd, at); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return where(err)
			}
		case "summary":
			var t finding.Tally
			if err := dec.Decode(&t); err != nil {
				return where(err)
			}
			if t.NotChecked > 0 {
				d.st.NotChecked += t.NotChecked
			}
		default:
			var skip json.RawMessage // a field added later in v1
			if err := dec.Decode(&skip); err != nil {
				return where(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return where(err)
	}
	if schema == "" || !sawDomains {
		if long {
			return d.fail(at, "a line longer than %d bytes", lim.max)
		}
		return d.fail(at, `a JSON object with neither "domain" nor both "schema" and "domains": not a check report`)
	}
	d.st.Documents++
	if stream {
		// Count the lines the document took, and hand back what the
		// decoder read beyond it.
		d.line += lim.newlinesBefore(dec.InputOffset())
		d.br = bufio.NewReaderSize(io.MultiReader(dec.Buffered(), d.br), 64<<10)
	}
	return nil
}

// errDomainFirst is the error of a value over several lines that starts as
// a domain result.
var errDomainFirst = errors.New("a domain result over several lines: the jsonl format has one per line (jq -c writes them so)")

// lineError says what is wrong with a line that is not valid JSON.
func lineError(line []byte) string {
	var v any
	err := json.Unmarshal(bytes.TrimRight(line, "\r\n"), &v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return "no error"
	case errors.As(err, &se) && strings.Contains(err.Error(), "unexpected end"):
		return "it is cut short: was the run that wrote it killed?"
	}
	return err.Error()
}

// errBudget is the error of a budgetReader past its budget.
var errBudget = errors.New("budget exceeded")

// readError marks an error of the underlying reader, returned as it is.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// budgetReader fails once more than max bytes were read since the last
// reset; it also remembers the offsets of the newlines it passed, to count
// the lines of a document. Reads are at most 64 KiB, so a value is bounded
// to within that of max.
type budgetReader struct {
	r     io.Reader
	max   int
	n     int
	total int64
	nl    []int64 // offsets of the newlines read
}

func (b *budgetReader) reset() { b.n = 0 }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, errBudget
	}
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := b.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			b.nl = append(b.nl, b.total+int64(i))
		}
	}
	b.n += n
	b.total += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = readError{err}
	}
	return n, err
}

// newlinesBefore counts the newlines before offset.
func (b *budgetReader) newlinesBefore(offset int64) int {
	return sort.Search(len(b.nl), func(i int) bool { return b.nl[i] >= offset })
}

// Merge collects stored domain results, keeping for each domain the newest:
// the one added last. A domain keeps the place where it was first added, so
// a report merged from shards lists its domains in the order they were
// read. A Merge is not safe for concurrent use.
type Merge struct {
	index      map[string]int
	domains    []*check.DomainResult
	replaced   int
	notChecked int
}

// key is what makes two results the same domain: the name in lower case
// without a trailing dot; for an input that was not a domain name, the
// input as given.
func mergeKey(d *check.DomainResult) string {
	if invalid(d) {
		return "\x00" + d.Domain
	}
	return strings.TrimSuffix(strings.ToLower(d.Domain), ".")
}

// Add adds a result; it replaces an earlier result of the same domain, and
// says so.
func (m *Merge) Add(d *check.DomainResult) (replaced bool) {
	if m.index == nil {
		m.index = map[string]int{}
	}
	k := mergeKey(d)
	if i, ok := m.index[k]; ok {
		m.domains[i] = d
		m.replaced++
		return true
	}
	m.index[k] = len(m.domains)
	m.domains = append(m.domains, d)
	return false
}

// AddNotChecked counts inputs an interrupted stored run never reached
// (Stored.NotChecked), so that the merged report's summary, and exit code,
// say that it is incomplete.
func (m *Merge) AddNotChecked(n int) { m.notChecked += n }

// Len is the number of distinct domains added; Replaced how many results
// were replaced by a newer one.
func (m *Merge) Len() int      { return len(m.domains) }
func (m *Merge) Replaced() int { return m.replaced }

// Sort orders of Report.
const (
	SortInput  = "input"  // the order the domains were first read
	SortDomain = "domain" // by name
	SortStatus = "status" // most severe first (fail, error, warn, pass, skip), then by name
)

// SortOrders lists the orders Report takes.
var SortOrders = []string{SortInput, SortDomain, SortStatus}

// Report returns the merged report in the order asked (SortOrders; "" is
// SortInput), with its summary counted again from the results kept (plus
// the inputs not checked).
func (m *Merge) Report(order string) (*check.Report, error) {
	out := &check.Report{Schema: check.Schema, Domains: append([]*check.DomainResult{}, m.domains...)}
	switch order {
	case "", SortInput:
	case SortDomain:
		sort.SliceStable(out.Domains, func(i, j int) bool { return out.Domains[i].Domain < out.Domains[j].Domain })
	case SortStatus:
		sort.SliceStable(out.Domains, func(i, j int) bool {
			a, b := out.Domains[i], out.Domains[j]
			if ra, rb := a.Status.Rank(), b.Status.Rank(); ra != rb {
				return ra > rb
			}
			return a.Domain < b.Domain
		})
	default:
		return nil, fmt.Errorf("report: unknown order %q (want %s)", order, strings.Join(SortOrders, ", "))
	}
	for _, d := range out.Domains {
		check.Count(&out.Summary, d)
	}
	out.Summary.NotChecked = m.notChecked
	return out, nil
}
