package audit

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// ErrBadHead is returned (wrapped) by Verify for a VerifyOptions.Head that
// is not a SHA-256 in hex.
var ErrBadHead = errors.New("the head is not a SHA-256 in hex (64 hex digits)")

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Head, when set, is the hash of the log's last line at an earlier
	// time (Verification.Head as it was then), kept where the log's
	// writers cannot change it. A log that no longer holds that line lost
	// lines at its end, or was rewritten: FindHeadMissing.
	Head string
	// MaxProblems is how many problems are reported; 100 when zero. The
	// rest are counted.
	MaxProblems int
}

// Verification is the outcome of Verify.
type Verification struct {
	// Lines counts the lines read; Records those that are records.
	Lines   int `json:"lines"`
	Records int `json:"records"`
	// FirstSeq and LastSeq are the sequence numbers of the first and last
	// records in the file.
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
	// Head is the hash of the last line: keep it elsewhere, and give it
	// back as VerifyOptions.Head later.
	Head string `json:"head,omitempty"`
	// HeadLine is the line VerifyOptions.Head names, when it was given and
	// found.
	HeadLine int `json:"head_line,omitempty"`
	// Status is pass when the chain is whole, fail otherwise.
	Status   finding.Status `json:"status"`
	Problems []Problem      `json:"problems"`
	// MoreProblems counts the problems past VerifyOptions.MaxProblems.
	MoreProblems int `json:"more_problems,omitempty"`
}

// Break is what happened where a chain breaks.
type Break string

// The breaks Verify tells apart.
const (
	BreakEdited      Break = "edited"       // FindEdited
	BreakDeleted     Break = "deleted"      // FindDeleted
	BreakReordered   Break = "reordered"    // FindReordered
	BreakInserted    Break = "inserted"     // FindInserted
	BreakMalformed   Break = "malformed"    // FindMalformed
	BreakTruncated   Break = "truncated"    // FindTruncated
	BreakRestarted   Break = "restarted"    // FindRestarted
	BreakHeadMissing Break = "head-missing" // FindHeadMissing
)

// breakSpecs are the findings of the breaks.
var breakSpecs = map[Break]*finding.Spec{
	BreakEdited: FindEdited, BreakDeleted: FindDeleted, BreakReordered: FindReordered, BreakInserted: FindInserted,
	BreakMalformed: FindMalformed, BreakTruncated: FindTruncated, BreakRestarted: FindRestarted, BreakHeadMissing: FindHeadMissing,
}

// Problem is a place where the chain breaks: what happened, its finding
// (whose fix is the catalogue's), and the lines (from 1) it is about.
type Problem struct {
	Break Break `json:"break"`
	finding.Finding
	Line int `json:"line"`
	// LastLine is the last line of a range of lines (reordered lines).
	LastLine int `json:"last_line,omitempty"`

	seqs []uint64
}

// Findings returns the problems' findings.
func (v *Verification) Findings() []finding.Finding {
	out := make([]finding.Finding, len(v.Problems))
	for i, p := range v.Problems {
		out[i] = p.Finding
	}
	return out
}

// entry is one line of the log as Verify reads it.
type entry struct {
	line      int
	hash      [32]byte
	ok        bool // a well-formed record
	truncated bool // the last line, without a newline
	reason    string
	seq       uint64
	prev      [32]byte
	genesis   bool
}

// Verify reads a log from r and checks its hash chain: every record's prev
// is the hash of the line before it and its sequence number follows that
// line's. Where the chain breaks, it says what happened: a line edited,
// lines deleted, lines reordered, a line inserted, a line that is not a
// record, an incomplete last line, a second chain starting. The error is
// only for a log that cannot be read. Memory grows with the log (about 150
// octets a line): rotate large logs.
func Verify(r io.Reader, opts VerifyOptions) (*Verification, error) {
	var head [32]byte
	if opts.Head != "" {
		b, err := hex.DecodeString(strings.TrimSpace(strings.ToLower(opts.Head)))
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("audit: %q: %w", opts.Head, ErrBadHead)
		}
		copy(head[:], b)
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 100
	}
	entries, err := readEntries(r)
	if err != nil {
		return nil, err
	}
	v := &Verification{Lines: len(entries), Problems: []Problem{}}
	var problems []Problem
	add := func(p Problem) { problems = append(problems, p) }

	byHash := make(map[[32]byte]int, len(entries))
	bySeq := make(map[uint64]int, len(entries))
	for i, e := range entries {
		if _, dup := byHash[e.hash]; !dup {
			byHash[e.hash] = i
		}
		if e.ok {
			v.Records++
			if v.FirstSeq == 0 {
				v.FirstSeq = e.seq
			}
			v.LastSeq = e.seq
			if _, dup := bySeq[e.seq]; !dup {
				bySeq[e.seq] = i
			}
		}
	}
	if n := len(entries); n > 0 {
		v.Head = hex.EncodeToString(entries[n-1].hash[:])
	}

	pred := -1         // the entry the current one should follow
	var predSeq uint64 // its sequence number, as the chain implies it
	skipped := 0       // lines that are not records since pred
	for i, e := range entries {
		switch {
		case e.truncated:
			add(newProblem(BreakTruncated, e.line, "line %d, the last, has no newline: a write was cut short or the file was cut", e.line))
			skipped++
			continue
		case !e.ok:
			add(newProblem(BreakMalformed, e.line, "line %d is not an audit record: %s", e.line, e.reason))
			skipped++
			continue
		}
		if k := byHash[e.hash]; k < i {
			add(newProblem(BreakInserted, e.line, "line %d is a copy of line %d", e.line, entries[k].line))
			continue
		}
		expectSeq := predSeq + 1
		var expectPrev [32]byte // Genesis
		if pred >= 0 {
			expectPrev = entries[pred].hash
		}
		linked := e.prev == expectPrev
		seq := e.seq
		switch {
		case linked && e.seq == expectSeq:
			// whole
		case linked:
			add(newProblem(BreakEdited, e.line, "line %d has sequence number %d where %d follows %s", e.line, e.seq, expectSeq, lineName(entries, pred)))
			seq = expectSeq // the chain says what it was
		case e.genesis:
			add(newProblem(BreakRestarted, e.line, "line %d starts a new chain (seq %d) after %s", e.line, e.seq, lineName(entries, pred)))
		default:
			if k, found := byHash[e.prev]; found {
				add(withSeq(newProblem(BreakReordered, e.line, "line %d (seq %d) was written after line %d, not after %s", e.line, e.seq, entries[k].line, lineName(entries, pred)), e.seq))
				break
			}
			gap := int64(e.seq) - int64(expectSeq)
			switch {
			case gap == 0 && pred < 0:
				add(newProblem(BreakEdited, e.line, "line %d is record 1 but its prev is not the start of a chain", e.line))
			case gap == 0:
				add(newProblem(BreakEdited, entries[pred].line, "line %d was changed after line %d recorded its hash", entries[pred].line, e.line))
			case gap > 0 && int64(skipped) >= gap:
				// The lines that are not records stand where the missing
				// records were: already reported.
			case gap > 0 && anySeq(bySeq, expectSeq, e.seq):
				add(withSeq(newProblem(BreakReordered, e.line, "line %d (seq %d) follows %s: records %s are elsewhere in the log", e.line, e.seq, lineName(entries, pred), seqRange(expectSeq, e.seq-1)), e.seq))
			case gap > 0:
				n := gap - int64(skipped)
				where := fmt.Sprintf("before line %d, the first", e.line)
				if pred >= 0 {
					where = fmt.Sprintf("between line %d and line %d", entries[pred].line, e.line)
				}
				add(newProblem(BreakDeleted, e.line, "%d %s (%s) deleted %s", n, plural(n, "record", "records"), seqRange(e.seq-uint64(n), e.seq-1), where))
			case bySeq[e.seq] != i:
				add(newProblem(BreakInserted, e.line, "line %d claims seq %d, which line %d has", e.line, e.seq, entries[bySeq[e.seq]].line))
			default:
				add(withSeq(newProblem(BreakReordered, e.line, "line %d (seq %d) follows %s", e.line, e.seq, lineName(entries, pred)), e.seq))
			}
		}
		pred, predSeq, skipped = i, seq, 0
	}

	if opts.Head != "" {
		if k, found := byHash[head]; found {
			v.HeadLine = entries[k].line
		} else {
			add(newProblem(BreakHeadMissing, v.Lines, "no line has the hash %s given as the head: lines were deleted from the end, or the log was rewritten", hex.EncodeToString(head[:])))
		}
	}

	problems = mergeReordered(problems)
	for i, p := range problems {
		if i == opts.MaxProblems {
			v.MoreProblems = len(problems) - i
			break
		}
		v.Problems = append(v.Problems, p)
	}
	fs := make([]finding.Finding, len(problems))
	for i, p := range problems {
		fs[i] = p.Finding
	}
	v.Status = finding.Judge(fs, true)
	return v, nil
}

// readEntries reads every line of the log, bounded by MaxLine each.
func readEntries(r io.Reader) ([]entry, error) {
	br := bufio.NewReaderSize(r, MaxLine)
	var entries []entry
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		long := false
		var h hash.Hash // only for a line longer than the buffer
		for errors.Is(err, bufio.ErrBufferFull) {
			if h == nil {
				h = sha256.New()
			}
			long = true
			h.Write(line)
			line, err = br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("audit: reading line %d: %w", n, err)
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return entries, nil
		}
		e := entry{line: n}
		body := line
		if err == nil {
			body = line[:len(line)-1] // without the newline
		} else {
			e.truncated = true
		}
		if h != nil {
			h.Write(body)
			copy(e.hash[:], h.Sum(nil))
		} else {
			e.hash = sha256.Sum256(body)
		}
		switch {
		case long:
			e.reason = fmt.Sprintf("it is longer than %d octets", MaxLine)
		case !e.truncated:
			e.parse(body)
		}
		entries = append(entries, e)
		if err != nil {
			return entries, nil
		}
	}
}

// parse reads a line as a record, setting ok or the reason it is not one.
func (e *entry) parse(line []byte) {
	if len(line) == 0 {
		e.reason = "it is empty"
		return
	}
	var rec struct {
		V     int    `json:"v"`
		Seq   uint64 `json:"seq"`
		Event string `json:"event"`
		Prev  string `json:"prev"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		e.reason = "it is not JSON"
		return
	}
	prev, err := hex.DecodeString(rec.Prev)
	switch {
	case rec.V < 1:
		e.reason = "it has no version (v)"
	case rec.Seq == 0:
		e.reason = "it has no sequence number (seq)"
	case rec.Event == "":
		e.reason = "it names no event"
	case err != nil || len(prev) != 32 || strings.ToLower(rec.Prev) != rec.Prev:
		e.reason = "its prev is not a SHA-256 in lower-case hex"
	default:
		e.ok = true
		e.seq = rec.Seq
		copy(e.prev[:], prev)
		e.genesis = rec.Prev == Genesis
	}
}

// anySeq reports whether a record with a sequence number in [from, to) is
// in the log.
func anySeq(bySeq map[uint64]int, from, to uint64) bool {
	if to-from > uint64(len(bySeq)) {
		for s := range bySeq {
			if s >= from && s < to {
				return true
			}
		}
		return false
	}
	for s := from; s < to; s++ {
		if _, ok := bySeq[s]; ok {
			return true
		}
	}
	return false
}

// newProblem returns a problem of kind b at line, its finding's message
// formatted, its fix the catalogue's.
func newProblem(b Break, line int, format string, args ...any) Problem {
	spec := breakSpecs[b]
	return Problem{Break: b, Finding: spec.New(fmt.Sprintf(format, args...), spec.Fix), Line: line}
}

// withSeq notes the sequence number of a reordered line, for merging.
func withSeq(p Problem, seq uint64) Problem {
	p.seqs = []uint64{seq}
	return p
}

// mergeReordered sorts problems by line and joins reordered lines that
// follow each other into one problem about the range.
func mergeReordered(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	var out []Problem
	for _, p := range ps {
		if n := len(out); n > 0 && p.Break == BreakReordered && out[n-1].Break == BreakReordered {
			last := &out[n-1]
			end := max(last.Line, last.LastLine)
			if p.Line == end+1 {
				last.LastLine = p.Line
				last.seqs = append(last.seqs, p.seqs...)
				seqs := make([]string, len(last.seqs))
				for i, s := range last.seqs {
					seqs[i] = fmt.Sprint(s)
				}
				last.Finding = FindReordered.New(fmt.Sprintf("lines %d to %d are out of the order they were written in (seq %s)", last.Line, last.LastLine, strings.Join(seqs, ", ")), FindReordered.Fix)
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func lineName(entries []entry, i int) string {
	if i < 0 {
		return "the start of the log"
	}
	return fmt.Sprintf("line %d (seq %d)", entries[i].line, entries[i].seq)
}

func seqRange(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("seq %d", from)
	}
	return fmt.Sprintf("seq %d to %d", from, to)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
