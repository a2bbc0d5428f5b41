// Package ingest reads every kind of report receivers send about a
// domain's mail — DMARC aggregate reports, DMARC failure reports, SMTP TLS
// reports — from files, directories, mbox files and Maildir folders,
// recognizes the kind from the content, and yields typed reports one at a
// time (Reader). A Collector folds them into one Digest per domain and
// tenant: the DMARC analysis and readiness verdict (pkg/dmarc/aggregate),
// the TLS summary (pkg/tlsrpt/tlsreport) and the failure summary
// (pkg/dmarc/failure).
//
// Memory stays bounded: one file (or one message of a mailbox) is held at
// a time, within mailreport.Limits; mbox files are streamed message by
// message; what the Collector keeps grows with domains and sources, and
// with 16 octets per report for duplicate detection.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/dmarc/failure"
	"github.com/penguinmails/emailauth/pkg/mailreport"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
)

// Kind is the kind of a report.
type Kind string

// The kinds of reports.
const (
	KindAggregate Kind = "aggregate"
	KindFailure   Kind = "failure"
	KindTLS       Kind = "tls"
)

// Options configure a Reader.
type Options struct {
	// Limits cap what one file, message or attachment may cost.
	Limits mailreport.Limits
	// ShowHeaders exposes the personal data of failure reports (see
	// failure.Options).
	ShowHeaders bool
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxDepth bounds the recursion into directories (default 16), and
	// MaxFiles the files read from directories (default 1,000,000).
	MaxDepth int
	MaxFiles int
}

// Item is one report read, or one input that could not be read as one.
type Item struct {
	// Source names the input: the file, ":#n" for the nth message of an
	// mbox file, ":" and the member or attachment inside it.
	Source string `json:"source"`
	Kind   Kind   `json:"kind,omitempty"`
	// One of these is set, by Kind.
	Aggregate *aggregate.Report `json:"aggregate,omitempty"`
	Failure   *failure.Report   `json:"failure,omitempty"`
	TLS       *tlsreport.Report `json:"tls,omitempty"`
	// Duplicate is set when a report of the same kind, reporter and
	// report ID was read before: count it once.
	Duplicate bool `json:"duplicate,omitempty"`
	// Err is set when the input could not be read as a report; the
	// reading goes on with the next input. It wraps
	// mailreport.ErrNotReport for readable input that is no report (a
	// README in a directory, an ordinary message in a mailbox), and
	// mailreport.ErrTooLarge for input over a limit.
	Err error `json:"-"`
}

// Warnings returns the quirks the item's report was read despite.
func (it *Item) Warnings() []mailreport.Warning {
	switch {
	case it.Aggregate != nil:
		return it.Aggregate.Warnings
	case it.Failure != nil:
		return it.Failure.Warnings
	case it.TLS != nil:
		return it.TLS.Warnings
	}
	return nil
}

// NotReport reports whether the item is an input that is no report.
func (it *Item) NotReport() bool { return errors.Is(it.Err, mailreport.ErrNotReport) }

// A Reader reads reports from paths. It is not safe for concurrent use;
// its duplicate detection spans every Read.
type Reader struct {
	opts  Options
	seen  map[[16]byte]bool
	files int
}

// NewReader returns a Reader.
func NewReader(opts Options) *Reader {
	opts.Limits = opts.Limits.WithDefaults()
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 16
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 1_000_000
	}
	return &Reader{opts: opts, seen: map[[16]byte]bool{}}
}

// Read yields the reports of each path in turn: a file (XML, JSON, gzip,
// zip, an e-mail message, an mbox file), a directory (read recursively,
// files sorted by name, hidden ones skipped), or a Maildir folder (its cur
// and new messages, and its Maildir++ subfolders). "-" reads Options.Stdin.
// An input that cannot be read yields an Item with Err, and the reading
// goes on. Reading stops when ctx is done or the loop breaks.
func (r *Reader) Read(ctx context.Context, paths ...string) iter.Seq[Item] {
	return func(yield func(Item) bool) {
		w := &walk{r: r, ctx: ctx, yield: yield}
		for _, p := range paths {
			if !w.path(p) {
				return
			}
		}
	}
}

type walk struct {
	r     *Reader
	ctx   context.Context
	yield func(Item) bool
}

// emit yields an item; false stops the walk.
func (w *walk) emit(it Item) bool {
	if w.ctx.Err() != nil {
		return false
	}
	return w.yield(it)
}

func (w *walk) fail(source string, format string, args ...any) bool {
	return w.emit(Item{Source: source, Err: fmt.Errorf("ingest: %s: %w", source, fmt.Errorf(format, args...))})
}

// path reads one path the caller named.
func (w *walk) path(p string) bool {
	if p == "-" {
		if w.r.opts.Stdin == nil {
			return w.fail("-", "no standard input to read")
		}
		return w.stream("-", w.r.opts.Stdin, -1)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return w.fail(p, "%w", unwrapPath(err))
	}
	if fi.IsDir() {
		return w.dir(p, 0)
	}
	return w.file(p)
}

// unwrapPath drops the path from an *fs.PathError: the source already
// names it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

func (w *walk) dir(dir string, depth int) bool {
	if depth > w.r.opts.MaxDepth {
		return w.fail(dir, "directories nested more than %d deep are not read", w.r.opts.MaxDepth)
	}
	if isMaildir(dir) {
		return w.maildir(dir, depth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return w.fail(dir, "%w", unwrapPath(err))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if !w.entry(p, e, depth) {
			return false
		}
	}
	return true
}

// entry reads one directory entry: directories recursively, regular files
// (and symbolic links to them); symbolic links to directories are not
// followed, so that a loop cannot be walked.
func (w *walk) entry(p string, e fs.DirEntry, depth int) bool {
	t := e.Type()
	if t&fs.ModeSymlink != 0 {
		fi, err := os.Stat(p)
		if err != nil {
			return w.fail(p, "%w", unwrapPath(err))
		}
		if fi.IsDir() {
			return w.fail(p, "a symbolic link to a directory is not followed; name the directory itself")
		}
		t = fi.Mode().Type()
	}
	switch {
	case t.IsDir():
		return w.dir(p, depth+1)
	case t.IsRegular():
		w.r.files++
		if w.r.files > w.r.opts.MaxFiles {
			return w.fail(p, "more than %d files in the directories given: %w", w.r.opts.MaxFiles, mailreport.ErrTooLarge)
		}
		return w.file(p)
	}
	return true // devices, pipes, sockets inside a directory
}

// maildir reads the messages of a Maildir folder (cur, then new; tmp
// holds messages being delivered) and of its Maildir++ subfolders.
func (w *walk) maildir(dir string, depth int) bool {
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			if !w.fail(filepath.Join(dir, sub), "%w", unwrapPath(err)) {
				return false
			}
			continue
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
				continue
			}
			if !w.entry(filepath.Join(dir, sub, e.Name()), e, depth) {
				return false
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return w.fail(dir, "%w", unwrapPath(err))
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), ".") && e.Name() != "." && e.Name() != ".." && isMaildir(p) {
			if !w.maildir(p, depth+1) {
				return false
			}
		}
	}
	return true
}

func (w *walk) file(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return w.fail(p, "%w", unwrapPath(err))
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if size == 0 {
		return w.emit(Item{Source: p, Err: fmt.Errorf("ingest: %s: the file is empty: %w", p, mailreport.ErrNotReport)})
	}
	return w.stream(p, f, size)
}

// stream reads one input of size octets (-1 when unknown): an mbox file
// message by message, anything else whole (within MaxInput).
func (w *walk) stream(source string, r io.Reader, size int64) bool {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(5)
	if string(head) == "From " {
		var count int
		keep := true
		err := mailreport.ReadMbox(br, w.r.opts.Limits.MaxInput, func(m mailreport.MboxMessage) bool {
			count++
			src := fmt.Sprintf("%s:#%d", source, m.Number)
			if m.Err != nil {
				keep = w.emit(Item{Source: src, Err: fmt.Errorf("ingest: %s: %w", src, m.Err)})
				return keep
			}
			keep = w.message(src, m.Data, true)
			return keep
		})
		if err != nil && keep {
			return w.fail(source, "reading the mailbox: %w", err)
		}
		return keep
	}
	if size > w.r.opts.Limits.MaxInput {
		return w.emit(Item{Source: source, Err: fmt.Errorf("ingest: %s: the file is larger than %s: %w", source, mailreport.Human(w.r.opts.Limits.MaxInput), mailreport.ErrTooLarge)})
	}
	u := mailreport.NewUnpacker("ingest", w.r.opts.Limits)
	data, err := u.ReadInput(source, br)
	if err != nil {
		return w.emit(Item{Source: source, Err: err})
	}
	switch mailreport.Sniff(data) {
	case mailreport.FormatEmail:
		return w.message(source, data, false)
	case mailreport.FormatUnknown:
		what := "neither XML, JSON, gzip, zip, an e-mail message nor an mbox file"
		if len(data) == 0 {
			what = "it is empty"
		}
		return w.emit(Item{Source: source, Err: fmt.Errorf("ingest: %s: %w: %s", source, mailreport.ErrNotReport, what)})
	}
	docs, err := u.Documents(source, data)
	if err != nil {
		return w.emit(Item{Source: source, Err: err})
	}
	return w.documents(u, docs)
}

// message reads one e-mail message: a failure report (ARF, then plain
// text), or the aggregate and TLS reports it carries.
func (w *walk) message(source string, data []byte, inMailbox bool) bool {
	u := mailreport.NewUnpacker("ingest", w.r.opts.Limits)
	m, err := u.ReadMessage(source, data)
	if err != nil {
		if inMailbox {
			err = fmt.Errorf("%w (%w)", err, mailreport.ErrNotReport)
		}
		return w.emit(Item{Source: source, Err: err})
	}
	fopts := failure.Options{ShowHeaders: w.r.opts.ShowHeaders, Limits: w.r.opts.Limits}
	if failure.Detect(m) == failure.FormatARF {
		return w.failure(u, source, m, data, fopts)
	}
	docs, err := u.Attachments(source, m)
	if len(docs) == 0 && failure.Detect(m) == failure.FormatText {
		return w.failure(u, source, m, data, fopts)
	}
	if len(docs) > 0 && !w.documents(u, docs) {
		return false
	}
	if err != nil {
		return w.emit(Item{Source: source, Err: err})
	}
	return true
}

func (w *walk) failure(u *mailreport.Unpacker, source string, m *mailreport.Message, data []byte, opts failure.Options) bool {
	rep, err := failure.ParseMessage(u, source, m, opts)
	if err != nil {
		return w.emit(Item{Source: source, Err: err})
	}
	id := rep.ReportID
	if id == "" {
		sum := sha256.Sum256(data)
		id = string(sum[:])
	}
	return w.emit(Item{Source: source, Kind: KindFailure, Failure: rep, Duplicate: w.r.dup(KindFailure, rep.Reporter, id)})
}

func (w *walk) documents(u *mailreport.Unpacker, docs []mailreport.Document) bool {
	for _, d := range docs {
		var it Item
		switch d.Format {
		case mailreport.FormatXML:
			rep, err := aggregate.ParseDocument(u, d)
			if err != nil {
				it = Item{Source: d.Source, Err: err}
				break
			}
			it = Item{Source: d.Source, Kind: KindAggregate, Aggregate: rep, Duplicate: w.r.dup(KindAggregate, rep.Metadata.OrgName, rep.Metadata.ReportID)}
		case mailreport.FormatJSON:
			rep, err := tlsreport.ParseDocument(u, d)
			if err != nil {
				it = Item{Source: d.Source, Err: err}
				break
			}
			it = Item{Source: d.Source, Kind: KindTLS, TLS: rep, Duplicate: w.r.dup(KindTLS, rep.OrganizationName, rep.ReportID)}
		}
		if !w.emit(it) {
			return false
		}
	}
	return true
}

// dup reports whether a report of kind, reporter and id was seen, and
// remembers it. Reports without an id are never duplicates. 16 octets of
// SHA-256 are kept per report.
func (r *Reader) dup(kind Kind, reporter, id string) bool {
	if id == "" {
		return false
	}
	var b bytes.Buffer
	b.WriteString(string(kind))
	b.WriteByte(0)
	b.WriteString(strings.ToLower(strings.TrimSpace(reporter)))
	b.WriteByte(0)
	b.WriteString(id)
	sum := sha256.Sum256(b.Bytes())
	var k [16]byte
	copy(k[:], sum[:16])
	if r.seen[k] {
		return true
	}
	r.seen[k] = true
	return false
}
