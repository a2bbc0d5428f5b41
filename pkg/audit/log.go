package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrDamaged is returned (wrapped) by Append when the log does not end with
// a complete record: its last line was cut short or is not a record. Verify
// says more; nothing is appended to such a log.
var ErrDamaged = errors.New("the log does not end with a complete record")

// ErrLocked is returned (wrapped) by Append when another writer held the
// log's lock for longer than Options.LockTimeout.
var ErrLocked = errors.New("the log is locked by another writer")

// ErrNotRegular is returned (wrapped) by Open for a path that is not a
// regular file (a directory, a pipe, a device): an append-only log must be
// a file that can be locked and read back.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLong is returned (wrapped) by Append for an event whose record
// would not fit in MaxLine octets even with its command line shortened.
var ErrTooLong = errors.New("the record is longer than the line limit")

// Options describe the writer of a log. The zero value takes everything
// from the running process and the real clock.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// User, SudoUser, Host, PID and Dir describe the writer; when empty
	// (zero) they are found out: the current user, $SUDO_USER, the host
	// name, the process ID, the working directory.
	User     string
	SudoUser string
	Host     string
	PID      int
	Dir      string
	// Command is the command line recorded in every record, already
	// redacted (CommandLine).
	Command []string
	// LockTimeout is how long Append waits for another writer to release
	// the lock; 10 seconds when zero.
	LockTimeout time.Duration
	// NoSync skips syncing each line to disk (tests, and logs on media
	// where a lost line after a crash is acceptable).
	NoSync bool
}

// Log appends records to a log file. It is safe for concurrent use, and
// several processes may append to the same file (see the package
// documentation).
type Log struct {
	path string
	opts Options

	mu sync.Mutex
	f  *os.File
}

// Open opens the log file at path for appending, creating it (mode 0600)
// if it does not exist. The file must be a regular file. Open does not read
// the log; Append checks its end.
func Open(path string, opts Options) (*Log, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, ErrNotRegular)
	}
	opts.fill()
	return &Log{path: path, opts: opts, f: f}, nil
}

// fill finds out what the options leave empty.
func (o *Options) fill() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.User == "" {
		o.User = currentUser()
	}
	if o.SudoUser == "" {
		if s := os.Getenv("SUDO_USER"); s != "" && s != o.User {
			o.SudoUser = s
		}
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.Dir == "" {
		o.Dir, _ = os.Getwd()
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 10 * time.Second
	}
	if o.Command == nil {
		o.Command = []string{}
	}
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if s := os.Getenv(k); s != "" {
			return s
		}
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// Path returns the log's file name.
func (l *Log) Path() string { return l.path }

// Close closes the log file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Append writes a record of ev at the end of the log, chained to the last
// line, and returns it. The lock is held from reading the last line until
// the new one is written (and synced).
func (l *Log) Append(ev Event) (*Record, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("audit: encoding the %s event: %w", ev.Kind(), err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil, fmt.Errorf("audit: %s: %w", l.path, os.ErrClosed)
	}
	if err := lockFile(l.f, l.opts.LockTimeout); err != nil {
		return nil, fmt.Errorf("audit: %s: %w", l.path, err)
	}
	defer unlockFile(l.f)

	st, err := l.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	size := st.Size()
	seq, prev, err := lastRecord(l.f, size)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", l.path, err)
	}
	rec := &Record{
		V: Version, Seq: seq + 1, Time: l.opts.Now().UTC(),
		User: l.opts.User, SudoUser: l.opts.SudoUser, Host: l.opts.Host, PID: l.opts.PID, Dir: l.opts.Dir,
		Cmd: l.opts.Command, Event: ev.Kind(), Data: data, Prev: prev,
	}
	line, err := encodeRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("audit: %s event: %w", ev.Kind(), err)
	}
	// One write of the whole line at the end of the file (O_APPEND).
	if _, err := l.f.Write(line); err != nil {
		// Nothing half-written stays: another writer would chain to it.
		if terr := l.f.Truncate(size); terr != nil {
			return nil, fmt.Errorf("audit: %s: writing a record: %w (and the partial line could not be removed: %v)", l.path, err, terr)
		}
		return nil, fmt.Errorf("audit: %s: writing a record: %w", l.path, err)
	}
	if !l.opts.NoSync {
		if err := l.f.Sync(); err != nil {
			return nil, fmt.Errorf("audit: %s: syncing: %w", l.path, err)
		}
	}
	return rec, nil
}

// Append opens the log at path, appends one record of ev and closes it: for
// a command that logs an event or two.
func Append(path string, opts Options, ev Event) (*Record, error) {
	l, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	rec, err := l.Append(ev)
	if cerr := l.Close(); err == nil && cerr != nil {
		return nil, fmt.Errorf("audit: %w", cerr)
	}
	return rec, err
}

// encodeRecord returns the record's line, newline included. A command line
// too long for MaxLine is shortened (each word to 1 KiB, at most 64 words,
// and a last word saying how many were left out); an event too long even
// then is an error.
func encodeRecord(rec *Record) ([]byte, error) {
	line, err := marshalLine(rec)
	if err != nil || len(line) <= MaxLine {
		return line, err
	}
	short := *rec
	short.Cmd = shortenCommand(rec.Cmd)
	line, err = marshalLine(&short)
	if err != nil {
		return nil, err
	}
	if len(line) > MaxLine {
		return nil, fmt.Errorf("%w (%d octets > %d)", ErrTooLong, len(line), MaxLine)
	}
	*rec = short
	return line, nil
}

func marshalLine(rec *Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil { // Encode ends the line with "\n"
		return nil, err
	}
	return buf.Bytes(), nil
}

func shortenCommand(cmd []string) []string {
	const maxWords, maxWord = 64, 1 << 10
	out := make([]string, 0, min(len(cmd), maxWords)+1)
	for i, w := range cmd {
		if i == maxWords {
			out = append(out, fmt.Sprintf("[%d more words left out]", len(cmd)-maxWords))
			break
		}
		if len(w) > maxWord {
			cut := maxWord
			for cut > 0 && !utf8.RuneStart(w[cut]) {
				cut--
			}
			w = w[:cut] + fmt.Sprintf("[%d more octets left out]", len(w)-cut)
		}
		out = append(out, w)
	}
	return out
}

// lastRecord reads the last line of a log of size octets and returns its
// sequence number and hash, or 0 and Genesis for an empty log.
func lastRecord(f *os.File, size int64) (uint64, string, error) {
	if size == 0 {
		return 0, Genesis, nil
	}
	// Most lines are short: read the last 4 KiB, and up to MaxLine+1
	// octets only when the last line is longer.
	var body []byte
	start := -1
	for _, window := range []int64{4 << 10, int64(MaxLine) + 1} {
		n := min(size, window)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, "", fmt.Errorf("reading the last line: %w", err)
		}
		if buf[len(buf)-1] != '\n' {
			return 0, "", fmt.Errorf("%w: the last line has no newline (a write was cut short, or the file was edited)", ErrDamaged)
		}
		body = buf[:len(buf)-1]
		start = bytes.LastIndexByte(body, '\n') + 1
		if start > 0 || n == size {
			break
		}
		start = -1
	}
	if start < 0 {
		return 0, "", fmt.Errorf("%w: the last line is longer than %d octets", ErrDamaged, MaxLine)
	}
	line := body[start:]
	var head struct {
		V   int    `json:"v"`
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(line, &head); err != nil || head.V == 0 || head.Seq == 0 {
		return 0, "", fmt.Errorf("%w: the last line is not an audit record (the file was edited)", ErrDamaged)
	}
	return head.Seq, LineHash(line), nil
}

// absPath returns path made absolute, "-" as is.
func absPath(path string) string {
	if path == "" || path == "-" {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
