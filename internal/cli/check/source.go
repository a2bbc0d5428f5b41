package check

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strings"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// maxLine is the longest input line read (a longer one is bad input).
const maxLine = 1 << 20

// source reads the inputs of a run one at a time: the DOMAIN arguments in
// order ("-" reads standard input in its place, once), then --file. Each
// input is parsed as a domain (a URL or an address reduced, with a note);
// one that is not a domain name is passed on with its error, to be
// reported as invalid. Duplicates are dropped (the first is kept) and,
// with --shard, the domains of other shards.
//
// Nothing is held per input but an 8-byte hash of each domain passed on,
// for the duplicates (hashSet): a file of a million domains is read as the
// run goes, with about 9 MB of hashes. (Two different domains whose 64-bit
// hashes collide, one chance in 30 million for a million domains, would
// check only the first.)
type source struct {
	f    *cmdutil.Factory
	opts *Options

	args      []string // the DOMAIN arguments not yet read
	stdinUsed bool
	fileDone  bool

	fileReader io.Reader // --file, opened by newSource

	sc     *bufio.Scanner // the input being read, if any
	scName string
	scLine int
	closer io.Closer

	seed maphash.Seed
	seen hashSet
	err  error // a read error: bad input; no entry follows it
}

// newSource opens the run's inputs. A --file that cannot be opened is bad
// input at once, before anything is checked.
func newSource(f *cmdutil.Factory, opts *Options) (*source, error) {
	s := &source{f: f, opts: opts, args: opts.Domains, seed: maphash.MakeSeed()}
	if opts.File != "" && opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return nil, cmdutil.BadInputHint(opts.File, errors.Unwrap(err), "--file takes a text file with one domain per line")
		}
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			fh.Close()
			return nil, cmdutil.BadInputHint(opts.File, errors.New("is a directory"), "--file takes a text file with one domain per line")
		}
		s.closer = fh
		s.fileReader = fh
	}
	return s, nil
}

// streams reports whether the inputs come from a file or standard input
// (their number unknown until read) rather than from the arguments alone.
func (s *source) streams() bool {
	if s.opts.File != "" {
		return true
	}
	for _, a := range s.opts.Domains {
		if a == "-" {
			return true
		}
	}
	return false
}

// usesStdin reports whether standard input is among the inputs.
func (s *source) usesStdin() bool {
	if s.opts.File == "-" {
		return true
	}
	for _, a := range s.opts.Domains {
		if a == "-" {
			return true
		}
	}
	return false
}

// name names the inputs in a message: the file, or standard input.
func (s *source) name() string {
	if s.opts.File != "" && s.opts.File != "-" {
		return s.opts.File
	}
	return "standard input"
}

// Close closes the file, if one is open.
func (s *source) Close() {
	if s.closer != nil {
		s.closer.Close()
		s.closer = nil
	}
}

// Err is the read error that ended the inputs early (bad input), if any.
func (s *source) Err() error { return s.err }

// Next returns the next input to report, or false at the end (or after a
// read error: Err).
func (s *source) Next() (entry, bool) {
	for s.err == nil {
		var where, text string
		switch {
		case s.sc != nil:
			if !s.sc.Scan() {
				if err := s.sc.Err(); err != nil {
					if errors.Is(err, bufio.ErrTooLong) {
						err = fmt.Errorf("line %d is longer than %d octets", s.scLine+1, maxLine)
					}
					s.err = cmdutil.BadInputHint(s.scName, err, "give one domain per line")
				}
				s.sc = nil
				continue
			}
			s.scLine++
			text = s.sc.Text()
			if i := strings.IndexByte(text, '#'); i >= 0 {
				text = text[:i]
			}
			where = fmt.Sprintf("%s:%d", s.scName, s.scLine)
		case len(s.args) > 0:
			a := s.args[0]
			s.args = s.args[1:]
			if a == "-" {
				s.readStdin()
				continue
			}
			where, text = "DOMAIN", a
		case !s.fileDone:
			s.fileDone = true
			switch s.opts.File {
			case "":
			case "-":
				s.readStdin()
			default:
				s.read(s.opts.File, s.fileReader)
			}
			continue
		default:
			return entry{}, false
		}
		if e, ok := s.entry(where, text); ok {
			return e, true
		}
	}
	return entry{}, false
}

// All returns every remaining input (a run whose inputs must be known
// whole: grouped by tenant, or given as arguments).
func (s *source) All() ([]entry, error) {
	var out []entry
	for {
		e, ok := s.Next()
		if !ok {
			return out, s.err
		}
		out = append(out, e)
	}
}

func (s *source) readStdin() {
	if s.stdinUsed {
		return
	}
	s.stdinUsed = true
	s.read("standard input", s.f.IO.In)
}

func (s *source) read(name string, r io.Reader) {
	s.sc = bufio.NewScanner(r)
	s.sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	s.scName, s.scLine = name, 0
}

// entry parses one input; false for a blank line, a duplicate, or a domain
// of another shard.
func (s *source) entry(where, text string) (entry, bool) {
	// A blank line of a file is skipped; a blank argument is a mistake (an
	// unset shell variable, most often) and is reported like any malformed
	// name, never read as "no argument".
	if text = strings.TrimSpace(text); text == "" && where != "DOMAIN" {
		return entry{}, false
	}
	d, note, err := dns.ParseDomain(text)
	key := d.ASCII
	if err != nil {
		err = fmt.Errorf("%s: %w", where, err)
		key = "\x00" + text
	}
	if s.opts.ShardN > 0 && !inShard(key, s.opts.ShardK, s.opts.ShardN) {
		return entry{}, false
	}
	if !s.seen.add(maphash.String(s.seed, key)) {
		return entry{}, false
	}
	if note != "" {
		s.f.IO.Notef("%s: %s", where, note)
	}
	return entry{where: where, input: text, domain: d, err: err}, true
}

// readDomains reads every input of a run (source.All).
func readDomains(f *cmdutil.Factory, opts *Options) ([]entry, error) {
	s, err := newSource(f, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.All()
}
