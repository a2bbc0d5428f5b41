package dkim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"
)

const crlf = "\r\n"

// canonicalizeHeader returns the canonical form of one header field (name,
// colon, value and its final CRLF; folds included) for c= "simple" or
// "relaxed" (RFC 6376 §3.4.1, §3.4.2).
func canonicalizeHeader(field, canon string) string {
	return string(appendCanonicalHeader(nil, field, canon))
}

// appendCanonicalHeader appends the canonical form of field to dst.
func appendCanonicalHeader(dst []byte, field, canon string) []byte {
	return appendCanonicalHeader2(dst, field, "", canon)
}

// appendCanonicalHeader2 appends the canonical form of the field a+b
// without joining them: a verifier hashes its signature field with the b=
// value cut out (a and b are the field before and after it).
func appendCanonicalHeader2(dst []byte, a, b, canon string) []byte {
	if canon == "simple" {
		return append(append(dst, a...), b...)
	}
	colon := strings.IndexByte(a, ':')
	if colon < 0 && b != "" {
		// The name runs into b: not a field a verifier splits.
		return appendCanonicalHeader2(dst, a+b, "", canon)
	}
	name, value := a, ""
	if colon >= 0 {
		name, value = a[:colon], a[colon+1:]
	}
	for len(name) > 0 && isWSP(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	n := len(dst)
	dst = append(dst, name...)
	for k := n; k < len(dst); k++ {
		if c := dst[k]; c >= 'A' && c <= 'Z' {
			dst[k] = c + 'a' - 'A'
		}
	}
	dst = append(dst, ':')
	var wsp, started bool
	dst, wsp, started = appendRelaxedValue(dst, value, wsp, started)
	dst, _, _ = appendRelaxedValue(dst, b, wsp, started)
	return append(dst, '\r', '\n')
}

// appendRelaxedValue appends a header field value (or a piece of one) in
// relaxed form: unfolded, every run of WSP reduced to one space, WSP
// dropped at both ends. wsp (WSP held back) and started (some content
// written) carry the state from the piece before.
func appendRelaxedValue(dst []byte, value string, wsp, started bool) ([]byte, bool, bool) {
	// The runs of octets that need none of this are copied whole.
	for k := 0; k < len(value); {
		switch value[k] {
		case '\r', '\n':
			k++
			continue
		case ' ', '\t':
			wsp = true
			k++
			continue
		}
		if wsp && started {
			dst = append(dst, ' ')
		}
		wsp = false
		started = true
		// The run is what relaxed body canonicalization would copy as it
		// is: single spaces between words are their own canonical form.
		j := k + 1 + relaxedRun(value[k+1:])
		dst = append(dst, value[k:j]...)
		k = j
	}
	return dst, wsp, started
}

// bodyCanonicalizer is a streaming body canonicalizer: Write takes the body
// (CRLF line ends; bare LFs already converted), Close flushes the end.
type bodyCanonicalizer struct {
	w       io.Writer
	relaxed bool
	buf     []byte
	pending int  // CRLFs held back: they may be trailing empty lines
	wsp     bool // relaxed: whitespace held back
	cr      bool // the previous octet was a CR not yet known to start a CRLF
	written bool // some content was written
	err     error
	// bareLF reads a LF without its CR as a line end (the body of a Unix
	// file, passed on without the crlfReader's conversion); sawBareLF
	// records that one was met.
	bareLF, sawBareLF bool
}

// bufSize is the size of the pooled buffers: small enough to stay off the
// large-object path of the allocator, so verifying a small message costs
// little beyond its RSA operation.
const bufSize = 16 * 1024

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() []byte { return (*bufPool.Get().(*[]byte))[:bufSize] }

func putBuf(b []byte) {
	if cap(b) == bufSize {
		b = b[:bufSize]
		bufPool.Put(&b)
	}
}

var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}

func getBufio(r io.Reader) *bufio.Reader {
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putBufio(br *bufio.Reader) {
	br.Reset(nil)
	bufioPool.Put(br)
}

func newBodyCanonicalizer(w io.Writer, canon string) *bodyCanonicalizer {
	return &bodyCanonicalizer{w: w, relaxed: canon == "relaxed", buf: getBuf()[:0]}
}

// newRawBodyCanonicalizer is a canonicalizer for a body read through a
// crlfReader in passThrough mode: a bare LF is a line end.
func newRawBodyCanonicalizer(w io.Writer, canon string) *bodyCanonicalizer {
	c := newBodyCanonicalizer(w, canon)
	c.bareLF = true
	return c
}

// release returns the canonicalizer's buffer to the pool.
func (c *bodyCanonicalizer) release() {
	putBuf(c.buf)
	c.buf = nil
}

func (c *bodyCanonicalizer) flushPending() {
	for ; c.pending > 0; c.pending-- {
		if len(c.buf)+2 > cap(c.buf)-8 {
			c.flush()
		}
		c.buf = append(c.buf, '\r', '\n')
	}
}

func (c *bodyCanonicalizer) content(b byte) {
	if c.pending > 0 {
		c.flushPending()
	}
	if c.wsp {
		c.buf = append(c.buf, ' ')
		c.wsp = false
	}
	c.buf = append(c.buf, b)
	c.written = true
}

func (c *bodyCanonicalizer) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	// The state lives in locals inside the loop: this is the hot path of
	// both signing and verifying large messages.
	buf, pending, wsp, cr, written, relaxed, bareLF := c.buf, c.pending, c.wsp, c.cr, c.written, c.relaxed, c.bareLF
	limit := cap(buf) - 8
	for i := 0; i < len(p); i++ {
		if !cr && pending == 0 && !wsp {
			// Nothing held back: the run of octets that are their own
			// canonical form is found (cleanRun) and copied in one piece.
			// Most lines of text are one such run up to their CRLF, or a
			// few separated by runs of spaces.
			for {
				if k := cleanRun(p[i:], relaxed); k > 0 {
					for k > 0 {
						if len(buf) >= limit {
							c.buf = buf
							c.flush()
							buf = c.buf
						}
						m := min(k, limit-len(buf))
						buf = append(buf, p[i:i+m]...)
						i += m
						k -= m
					}
					written = true
					if i == len(p) {
						break
					}
				}
				// The commonest stops are settled here, without the
				// octet-by-octet path below: whitespace inside a line
				// (relaxed: one space), and a line end followed by text.
				// Anything else (trailing whitespace, empty lines, a lone
				// CR, the end of p) takes that path.
				b := p[i]
				switch {
				case relaxed && (b == ' ' || b == '\t'):
					j := i + 1
					for j < len(p) && (p[j] == ' ' || p[j] == '\t') {
						j++
					}
					if j == len(p) || p[j] <= ' ' {
						break
					}
					if len(buf) >= limit {
						c.buf = buf
						c.flush()
						buf = c.buf
					}
					buf = append(buf, ' ')
					i = j
					continue
				case b == '\r' && i+2 < len(p) && p[i+1] == '\n' && p[i+2] > ' ':
					if len(buf) >= limit {
						c.buf = buf
						c.flush()
						buf = c.buf
					}
					buf = append(buf, '\r', '\n')
					i += 2
					continue
				case b == '\n' && bareLF && i+1 < len(p) && p[i+1] > ' ':
					if len(buf) >= limit {
						c.buf = buf
						c.flush()
						buf = c.buf
					}
					c.sawBareLF = true
					buf = append(buf, '\r', '\n')
					i++
					continue
				}
				break
			}
			if i == len(p) {
				break
			}
		}
		b := p[i]
		if cr {
			cr = false
			if b == '\n' {
				pending++
				wsp = false
				continue
			}
			// A lone CR is content.
			for ; pending > 0; pending-- {
				buf = append(buf, '\r', '\n')
			}
			if wsp {
				buf = append(buf, ' ')
				wsp = false
			}
			buf = append(buf, '\r')
			written = true
		}
		if b <= ' ' {
			// One test keeps every visible octet off this branch.
			if b == '\r' {
				cr = true
				continue
			}
			if b == '\n' && bareLF {
				// A bare LF ends a line, as MTAs read it (the crlfReader
				// converts it the same way for the header).
				c.sawBareLF = true
				pending++
				wsp = false
				continue
			}
			if relaxed && (b == ' ' || b == '\t') {
				wsp = true
				continue
			}
		}
		if pending > 0 {
			for ; pending > 0; pending-- {
				buf = append(buf, '\r', '\n')
				if len(buf) >= limit {
					c.buf = buf
					c.flush()
					buf = c.buf
				}
			}
		}
		if wsp {
			buf = append(buf, ' ')
			wsp = false
		}
		buf = append(buf, b)
		written = true
		if len(buf) >= limit {
			c.buf = buf
			c.flush()
			buf = c.buf
		}
	}
	c.buf, c.pending, c.wsp, c.cr, c.written = buf, pending, wsp, cr, written
	return len(p), c.err
}

// cleanRun returns how many octets at the start of s are their own
// canonical form when nothing is held back: up to the first CR or LF and,
// for relaxed, the first tab or two spaces in a row, less any spaces at the
// end of the run (they may begin trailing or repeated whitespace). It may
// stop earlier (relaxed stops at any control octet, and before a space
// followed by one): the octets it leaves take the careful path.
func cleanRun(s []byte, relaxed bool) int {
	if !relaxed {
		if n := bytes.IndexByte(s, '\n'); n >= 0 {
			s = s[:n]
		}
		if r := bytes.IndexByte(s, '\r'); r >= 0 {
			s = s[:r]
		}
		return len(s)
	}
	return relaxedRun(s)
}

// relaxedRun is cleanRun for relaxed canonicalization, for a body (bytes)
// or a header field (a string).
func relaxedRun[T string | []byte](s T) int {
	// Text has a space every few octets, so one pass over the octets beats
	// vector scans for a tab, a CR, a LF and two spaces (each restarted at
	// every space). The pass takes eight octets at a time, with masks that
	// mark each octet below 0x21 and each space exactly (no carries cross
	// octets: the high bit is set aside before adding).
	const lo7, hi = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	j := 0
	for j+8 <= len(s) {
		w := s[j : j+8] // one bounds check, and one load
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		le := ^((x&lo7 + 0x5f5f5f5f5f5f5f5f) | x) & hi // octet < 0x21
		y := x ^ 0x2020202020202020
		sp := ^((y&lo7 + lo7) | y) & hi // octet == ' '
		// A space whose next octet is below 0x21 ends the run, as does
		// any other octet below 0x21. The next octet of the last one is
		// in the next word.
		next := le >> 8
		if j+8 == len(s) || s[j+8] <= ' ' {
			next |= 1 << 63
		}
		if stop := le&^sp | sp&next; stop != 0 {
			return j + bits.TrailingZeros64(stop)/8
		}
		j += 8
	}
	for j < len(s) {
		if s[j] > ' ' {
			j++
			continue
		}
		if s[j] == ' ' && j+1 < len(s) && s[j+1] > ' ' {
			j += 2
			continue
		}
		break
	}
	return j
}

func (c *bodyCanonicalizer) flush() {
	if len(c.buf) > 0 && c.err == nil {
		_, c.err = c.w.Write(c.buf)
	}
	c.buf = c.buf[:0]
}

// Close writes the end of the canonical body: the last line's CRLF (trailing
// empty lines dropped) or, for simple, the lone CRLF of an empty body.
func (c *bodyCanonicalizer) Close() error {
	if c.cr {
		c.cr = false
		c.content('\r')
	}
	c.wsp = false
	c.pending = 0
	if c.written || !c.relaxed {
		c.buf = append(c.buf, '\r', '\n')
	}
	c.flush()
	return c.err
}

// lengthCounter counts what passes and forwards at most limit octets to w
// (all of them when limit < 0).
type lengthCounter struct {
	w     io.Writer
	limit int64
	n     int64
}

func (l *lengthCounter) Write(p []byte) (int, error) {
	n := int64(len(p))
	if l.limit >= 0 {
		room := l.limit - l.n
		if room < 0 {
			room = 0
		}
		if room < int64(len(p)) {
			p = p[:room]
		}
	}
	l.n += n
	if len(p) > 0 {
		if _, err := l.w.Write(p); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// crlfReader converts every bare LF to CRLF, as MTAs do for messages that
// come from Unix files.
type crlfReader struct {
	r      io.Reader
	buf    []byte
	out    []byte
	conv   []byte // reused for converted chunks
	lastCR bool
	bareLF bool // at least one bare LF was converted (or, after passThrough, seen by a canonicalizer)
	raw    bool // passThrough was called
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: getBuf()}
}

// release returns the reader's buffer to the pool; the reader must not be
// used after.
func (c *crlfReader) release() {
	putBuf(c.buf)
	c.buf, c.out, c.conv = nil, nil, nil
}

// passThrough stops the conversion: what is still converted is served,
// then the input as it is. The body canonicalizers read a bare LF as a line
// end themselves (bodyCanonicalizer.bareLF), so the body of a message need
// not be scanned and copied once more on its way to them.
func (c *crlfReader) passThrough() { c.raw = true }

func (c *crlfReader) Read(p []byte) (int, error) {
	if c.raw && len(c.out) == 0 {
		return c.r.Read(p)
	}
	for len(c.out) == 0 {
		n, err := c.r.Read(c.buf)
		if n > 0 {
			c.convert(c.buf[:n])
		}
		if len(c.out) > 0 {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// WriteTo hands the rest of the input to w (io.Copy and
// bufio.Reader.WriteTo use it). Once the body is passed through and the
// input is in memory (a bytes.Reader or strings.Reader), the body reaches
// w in one piece, without a copy: a large message goes to the
// canonicalizer as it lies. Otherwise it goes through a pooled buffer.
func (c *crlfReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if c.raw && len(c.out) > 0 {
		n, err := w.Write(c.out)
		total += int64(n)
		c.out = c.out[n:]
		if err != nil {
			return total, err
		}
	}
	if c.raw && len(c.out) == 0 {
		switch r := c.r.(type) {
		case *bytes.Reader:
			n, err := r.WriteTo(w)
			return total + n, err
		case *strings.Reader:
			n, err := r.WriteTo(w)
			return total + n, err
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m < n {
				return total, io.ErrShortWrite
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (c *crlfReader) convert(b []byte) {
	// Fast path: no LF without its CR. The LFs are found with a vector
	// scan, and only the octet before each is looked at.
	clean := true
	for k := 0; k < len(b); k++ {
		j := bytes.IndexByte(b[k:], '\n')
		if j < 0 {
			break
		}
		k += j
		if k == 0 && !c.lastCR || k > 0 && b[k-1] != '\r' {
			clean = false
			break
		}
	}
	if clean {
		c.out = b
		c.lastCR = b[len(b)-1] == '\r'
		return
	}
	c.bareLF = true
	// The converted chunk is consumed before the next read: reuse its
	// buffer, so a large Unix-format message costs no allocation per chunk.
	out := c.conv[:0]
	if cap(out) < 2*len(b) {
		out = make([]byte, 0, 2*len(b))
	}
	prevCR := c.lastCR
	for _, ch := range b {
		if ch == '\n' && !prevCR {
			out = append(out, '\r')
		}
		out = append(out, ch)
		prevCR = ch == '\r'
	}
	c.out = out
	c.conv = out
	c.lastCR = prevCR
}

// MaxHeaderSize bounds the header section read into memory.
const MaxHeaderSize = 1 << 20

// ErrNoSeparator is wrapped by the error for a message whose header is not
// ended by an empty line.
var ErrNoSeparator = errors.New("no empty line between the header and the body")

// ErrEmptyMessage is wrapped by the error for an input with no octets.
var ErrEmptyMessage = errors.New("the message is empty")

// Field is one header field as it appears in the message (see ReadMessage).
type Field struct {
	raw  string // name ":" value, folds and final CRLF included (CRLF line ends)
	name string // the name, as written, without trailing whitespace
}

// headerField is the name the package's own code uses for Field.
type headerField = Field

// readHeader reads the header section from r (CRLF line ends), up to and
// including the empty line that ends it. It returns the fields and the
// number of octets consumed.
func readHeader(r *bufio.Reader) ([]headerField, int64, error) {
	var starts, nameEnds [32]int
	fields, n, _, _, _, err := readHeaderIn(r, make([]byte, 0, 4096), starts[:0], nameEnds[:0], nil)
	return fields, n, err
}

// headerBufs are the buffers of readHeaderIn, kept by headerScratch.
type headerBufs struct {
	hdr             []byte
	starts, nameEnd []int
	fields          []headerField
}

// headerScratch keeps the buffers of readHeader for a caller that reads
// many headers (a Verifier keeps one per message in a pool). The fields
// read stay valid until the next read or reset.
type headerScratch struct{ bufs headerBufs }

// reset drops what the last read returned (the fields hold the header
// text) and reports whether the buffers are small enough to keep.
func (hs *headerScratch) reset() bool {
	clear(hs.bufs.fields)
	hs.bufs.fields = hs.bufs.fields[:0]
	return cap(hs.bufs.hdr) <= 64<<10 && cap(hs.bufs.fields) <= 1024
}

func (hs *headerScratch) read(r *bufio.Reader) ([]headerField, int64, error) {
	if cap(hs.bufs.hdr) == 0 {
		hs.bufs.hdr = make([]byte, 0, 4096)
	}
	b := &hs.bufs
	fields, n, hdr, starts, nameEnds, err := readHeaderIn(r, b.hdr, b.starts, b.nameEnd, b.fields)
	if err == nil {
		b.fields = fields
	}
	b.hdr, b.starts, b.nameEnd = hdr, starts, nameEnds
	return fields, n, err
}

// readHeaderIn is readHeader with each buffer given and returned on its
// own (so that escape analysis keeps a buffer the caller drops on the
// stack: the fields escape, the others need not).
func readHeaderIn(r *bufio.Reader, hdr []byte, starts, nameEnds []int, fields []headerField) (_ []headerField, _ int64, hdrOut []byte, startsOut, nameEndsOut []int, _ error) {
	// The header is gathered in one buffer and the fields are cut from one
	// string at the end: no allocation per line or per fold.
	hdr, starts, nameEnds, fields = hdr[:0], starts[:0], nameEnds[:0], fields[:0]
	defer func() { hdrOut, startsOut, nameEndsOut = hdr, starts, nameEnds }()
	var consumed int64
	lineNo := 0
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: gather it whole.
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = r.ReadSlice('\n')
				full = append(full, line...)
				if len(full) > MaxHeaderSize {
					return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: header line %d is longer than %d octets", lineNo+1, MaxHeaderSize)
				}
			}
			line = full
		}
		consumed += int64(len(line))
		lineNo++
		if consumed > MaxHeaderSize {
			return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: the header section is larger than %d octets", MaxHeaderSize)
		}
		eof := false
		if err != nil {
			if err != io.EOF {
				return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: reading the header: %w", err)
			}
			if len(line) == 0 {
				if lineNo == 1 {
					return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: %w", ErrEmptyMessage)
				}
				// A message may end after its header (RFC 5322 §3.5: the
				// body is optional): the body is empty.
				break
			}
			// The last line has no line end: complete it.
			line = append(append([]byte(nil), line...), '\r', '\n')
			eof = true
		}
		if len(line) == 2 && line[0] == '\r' || len(line) == 1 {
			break // the empty line
		}
		if isWSP(line[0]) {
			if len(starts) == 0 {
				return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: line %d of the message is a continuation line with no header field before it", lineNo)
			}
			hdr = append(hdr, line...)
			if eof {
				break
			}
			continue
		}
		colon := -1
		for k, ch := range line {
			if ch == ':' {
				colon = k
				break
			}
			if ch <= ' ' && !isWSP(ch) || ch >= 0x7f {
				break
			}
		}
		nameEnd := colon
		for nameEnd > 0 && isWSP(line[nameEnd-1]) {
			nameEnd--
		}
		if colon <= 0 || nameEnd == 0 {
			return nil, consumed, nil, nil, nil, fmt.Errorf("dkim: line %d of the message is not a header field (%q): %w", lineNo, abbreviate(strings.TrimRight(string(line), "\r\n")), ErrNoSeparator)
		}
		starts = append(starts, len(hdr))
		nameEnds = append(nameEnds, len(hdr)+nameEnd)
		hdr = append(hdr, line...)
		if eof {
			break
		}
	}
	all := string(hdr)
	if cap(fields) < len(starts) {
		fields = make([]headerField, 0, len(starts))
	}
	for i, st := range starts {
		end := len(all)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		fields = append(fields, headerField{raw: all[st:end], name: all[st:nameEnds[i]]})
	}
	return fields, consumed, nil, nil, nil, nil
}

// pickHeaders calls fn with the fields named in h, in h's order, each name
// taking the instances from the bottom up (RFC 6376 §5.4.2). Names with no
// instance left contribute nothing. The field at index skip (the signature
// being verified) is never picked.
func pickHeaders(fields []headerField, names []string, skip int, fn func(string)) {
	if len(names) > 32 {
		pickManyHeaders(fields, names, skip, fn)
		return
	}
	// Names are compared by a fingerprint first: most pairs differ in it.
	var fieldStack [64]uint64
	var nameStack [32]uint64
	fieldKeys, nameKeys := fieldStack[:0], nameStack[:0]
	if len(fields) > len(fieldStack) {
		fieldKeys = make([]uint64, 0, len(fields))
	}
	for k := range fields {
		fieldKeys = append(fieldKeys, nameKey(fields[k].name))
	}
	for _, name := range names {
		nameKeys = append(nameKeys, nameKey(name))
	}
	if len(fields) <= 64 {
		pickByMask(fields, names, skip, fn, fieldKeys, nameKeys)
		return
	}
	for i, name := range names {
		// This is the n-th use of the name (h= lists few names).
		key := nameKeys[i]
		n := 0
		for j, prev := range names[:i] {
			if mayMatch(nameKeys[j], key) && foldEqual(prev, name) {
				n++
			}
		}
		for k := len(fields) - 1; k >= 0; k-- {
			if k == skip || !mayMatch(fieldKeys[k], key) || !foldEqual(fields[k].name, name) {
				continue
			}
			if n == 0 {
				fn(fields[k].raw)
				break
			}
			n--
		}
	}
}

// pickByMask is pickHeaders for up to 64 fields: for each name, the
// fields whose fingerprint may match are marked in a bit mask without a
// branch per pair, and the fields already picked are masked out: the n-th
// use of a name takes the n-th field from the bottom, as the fields of the
// earlier uses are gone (EqualFold is an equivalence, so no other name
// took one of them).
func pickByMask(fields []headerField, names []string, skip int, fn func(string), fieldKeys, nameKeys []uint64) {
	var unknownFields uint64 // fields of non-ASCII names (none: readHeader admits only ASCII)
	for k, fk := range fieldKeys {
		unknownFields |= b2u(fk == 0) << k
	}
	var free uint64 = ^uint64(0) >> (64 - len(fields)) // not picked, not skipped
	if len(fields) == 0 {
		free = 0
	}
	if skip >= 0 && skip < 64 {
		free &^= 1 << skip
	}
	for i, name := range names {
		key := nameKeys[i]
		m := unknownFields
		if key == 0 {
			m = ^uint64(0)
		} else {
			for k, fk := range fieldKeys {
				m |= b2u(fk == key) << k
			}
		}
		for m &= free; m != 0; {
			k := 63 - bits.LeadingZeros64(m) // bottom up
			m &^= 1 << k
			if foldEqual(fields[k].name, name) {
				free &^= 1 << k
				fn(fields[k].raw)
				break
			}
		}
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// nameKey is a fingerprint of a header field name, the same for two names
// foldEqual matches: the length and the first and last octets with ASCII
// letters lower-cased (top bit set), or 0 for a name with a non-ASCII
// octet, which Unicode folding may match with a name of another length.
func nameKey(s string) uint64 {
	for k := 0; k < len(s); k++ {
		if s[k] >= 0x80 {
			return 0
		}
	}
	if s == "" {
		return 1 << 63
	}
	return 1<<63 | uint64(len(s))<<16 | uint64(s[0]|0x20)<<8 | uint64(s[len(s)-1]|0x20)
}

// mayMatch reports whether names of these keys may be equal.
func mayMatch(a, b uint64) bool { return a == b || a == 0 || b == 0 }

// foldEqual is strings.EqualFold, with the ASCII field names of a header
// compared without decoding runes: a mismatch of two ASCII octets decides,
// anything else is left to EqualFold (its Unicode folding matches "K" with
// the Kelvin sign).
func foldEqual(a, b string) bool {
	n := min(len(a), len(b))
	for k := 0; k < n; k++ {
		x, y := a[k], b[k]
		if x == y {
			continue
		}
		if x|y >= 0x80 {
			return strings.EqualFold(a, b)
		}
		if lx := x | 0x20; lx != y|0x20 || lx < 'a' || lx > 'z' {
			return false
		}
	}
	if len(a) == len(b) {
		return true
	}
	return strings.EqualFold(a, b)
}

// pickManyHeaders is pickHeaders for a long h=: an index of the fields by
// name keeps it linear, where the scan above is quadratic in the length of
// h= (an h= of 50,000 names, within the header size bound, would otherwise
// cost half a minute).
func pickManyHeaders(fields []headerField, names []string, skip int, fn func(string)) {
	byName := make(map[string][]int, len(names))
	for _, name := range names {
		byName[asciiLower(name)] = nil
	}
	for k := len(fields) - 1; k >= 0; k-- {
		if k == skip {
			continue
		}
		key := asciiLower(fields[k].name)
		if list, ok := byName[key]; ok {
			byName[key] = append(list, k)
		}
	}
	used := make(map[string]int, len(byName))
	for _, name := range names {
		key := asciiLower(name)
		n := used[key]
		used[key] = n + 1
		if list := byName[key]; n < len(list) {
			fn(fields[list[n]].raw)
		}
	}
}

// asciiLower lower-cases ASCII letters only: field names are ASCII.
func asciiLower(s string) string {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := k; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
