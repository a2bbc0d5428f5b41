// Package dkimkey handles DKIM keys: the tag-list syntax shared by key
// records and signatures (RFC 6376 §3.2), key records (§3.6.1, RFC 8463),
// key generation and storage, and the check of a domain's published keys.
package dkimkey

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every *SyntaxError: errors.Is(err, ErrSyntax)
// tells a malformed tag-list from other failures.
var ErrSyntax = errors.New("malformed tag-list")

// SyntaxError reports where a tag-list breaks RFC 6376 §3.2.
type SyntaxError struct {
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Tag is the name of the tag being read, when there is one.
	Tag string
	// Msg says what is wrong.
	Msg string
}

func (e *SyntaxError) Error() string {
	if e.Tag != "" {
		return fmt.Sprintf("dkimkey: tag-list: tag %q at offset %d: %s", e.Tag, e.Offset, e.Msg)
	}
	return fmt.Sprintf("dkimkey: tag-list: at offset %d: %s", e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Tag is one tag-spec of a tag-list.
type Tag struct {
	// Name is the tag name, case-sensitive as RFC 6376 §3.2 says.
	Name string `json:"name"`
	// Value is the tag-value with the surrounding whitespace removed;
	// whitespace (and folding) inside the value is kept as it was.
	Value string `json:"value"`
	// Offset is the byte offset of the tag name in the input.
	Offset int `json:"offset"`
	// ValueStart and ValueEnd delimit Value in the input (input[ValueStart:ValueEnd]
	// == Value), so a verifier can blank a signature's b= value in place.
	ValueStart int `json:"-"`
	ValueEnd   int `json:"-"`
}

// TagList is a parsed tag-list, in the order of the input.
type TagList []Tag

// Get returns the value of the named tag and whether it is present.
func (l TagList) Get(name string) (string, bool) {
	for _, t := range l {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// Lookup returns the named tag, or nil.
func (l TagList) Lookup(name string) *Tag {
	for i := range l {
		if l[i].Name == name {
			return &l[i]
		}
	}
	return nil
}

// Has reports whether the named tag is present.
func (l TagList) Has(name string) bool { return l.Lookup(name) != nil }

// Names returns the tag names in order.
func (l TagList) Names() []string {
	out := make([]string, len(l))
	for i, t := range l {
		out[i] = t.Name
	}
	return out
}

// String writes the list back as "name=value; name=value".
func (l TagList) String() string {
	var b strings.Builder
	for i, t := range l {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(t.Name)
		b.WriteByte('=')
		b.WriteString(t.Value)
	}
	return b.String()
}

// ParseTagList parses a tag-list (RFC 6376 §3.2):
//
//	tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//	tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//	tag-name  =  ALPHA *ALNUMPUNC
//	tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//	tval      =  1*VALCHAR          ; %x21-3A / %x3C-7E
//
// The order of the tags is kept. A duplicate tag name is an error, as is an
// empty tag-spec (";;"), a tag without "=", a tag name that does not start
// with a letter, and a control character in a value. Folding whitespace is
// a CRLF followed by at least one space or tab; a bare LF followed by
// whitespace is accepted too, for messages stored with Unix line endings.
// A trailing ";" (and whitespace after it) is allowed. UTF-8 is allowed in
// values as RFC 8616 §4 permits; invalid UTF-8 is not. Errors are
// *SyntaxError values naming the tag and the byte offset.
func ParseTagList(s string) (TagList, error) {
	p := tagParser{s: s}
	return p.parse(make(TagList, 0, strings.Count(s, ";")+1))
}

// AppendTagList parses s as ParseTagList does and appends its tags to dst,
// so that a caller parsing many tag-lists (a verifier, one DKIM-Signature
// per message) can reuse one slice. On error dst is returned as it was
// given (its spare capacity may have been written to).
func AppendTagList(dst TagList, s string) (TagList, error) {
	p := tagParser{s: s}
	list, err := p.parse(dst)
	if err != nil {
		return dst, err
	}
	return list, nil
}

type tagParser struct {
	s string
	i int
}

func (p *tagParser) errf(tag string, off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Tag: tag, Msg: fmt.Sprintf(format, args...)}
}

// skipFWS skips whitespace and folding whitespace. It fails on a line break
// that is not followed by whitespace.
func (p *tagParser) skipFWS(tag string) error {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t':
			p.i++
		case '\r', '\n':
			n, err := p.lineBreak(tag)
			if err != nil {
				return err
			}
			p.i += n
		default:
			return nil
		}
	}
	return nil
}

// lineBreak checks the line break at p.i and returns its length (without
// the whitespace that must follow it).
func (p *tagParser) lineBreak(tag string) (int, error) {
	n := 0
	switch {
	case strings.HasPrefix(p.s[p.i:], "\r\n"):
		n = 2
	case p.s[p.i] == '\n':
		n = 1
	default:
		return 0, p.errf(tag, p.i, "a carriage return not followed by a line feed")
	}
	if j := p.i + n; j >= len(p.s) || (p.s[j] != ' ' && p.s[j] != '\t') {
		return 0, p.errf(tag, p.i, "a line break not followed by a space or tab (it is not folding whitespace)")
	}
	return n, nil
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// valChar holds the VALCHARs of RFC 6376 §3.2 (%x21-3A / %x3C-7E), and
// nameChar the octets after the first of a tag-name (ALPHA / DIGIT / "_"):
// the value and name loops test one table entry per octet.
var valChar, nameChar = func() (v, n [256]bool) {
	for c := 0x21; c <= 0x7e; c++ {
		v[c] = c != ';'
	}
	for c := 0; c < 256; c++ {
		n[c] = isAlpha(byte(c)) || isDigit(byte(c)) || c == '_'
	}
	return v, n
}()

// valRun returns the end of the run of VALCHARs that starts at i. It
// tests eight octets at a time: masks mark exactly each octet below 0x21,
// above 0x7e and equal to ";" (the high bit is set aside before adding, so
// no carry crosses octets).
func valRun(s string, i int) int {
	const lo7, hi = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	for i+8 <= len(s) {
		w := s[i : i+8] // one bounds check, and one load
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		low := ^((x&lo7 + 0x5f5f5f5f5f5f5f5f) | x) & hi // < 0x21
		high := ((x&lo7 + 0x0101010101010101) | x) & hi // > 0x7e
		y := x ^ 0x3b3b3b3b3b3b3b3b
		semi := ^((y&lo7 + lo7) | y) & hi // ';'
		if stop := low | high | semi; stop != 0 {
			return i + bits.TrailingZeros64(stop)/8
		}
		i += 8
	}
	for i < len(s) && valChar[s[i]] {
		i++
	}
	return i
}

// parse appends the tags of p.s to dst; the duplicate check looks only at
// what it appended.
func (p *tagParser) parse(dst TagList) (TagList, error) {
	base := len(dst)
	list := dst
	var seen map[string]int // only for long lists; short ones are scanned
	if err := p.skipFWS(""); err != nil {
		return nil, err
	}
	if p.i == len(p.s) {
		return nil, p.errf("", p.i, "the tag-list is empty; it needs at least one tag=value")
	}
	for {
		// tag-name
		start := p.i
		c := p.s[p.i]
		switch {
		case c == ';':
			if len(list) == base {
				return nil, p.errf("", p.i, "the tag-list starts with \";\"; remove it")
			}
			return nil, p.errf("", p.i, "an empty tag-spec (two \";\" in a row); remove one \";\"")
		case c == '=':
			return nil, p.errf("", p.i, "a tag with no name before \"=\"")
		case !isAlpha(c):
			return nil, p.errf("", p.i, "a tag name must start with a letter, not %s", quoteByte(p.s, p.i))
		}
		p.i++
		for p.i < len(p.s) && nameChar[p.s[p.i]] {
			p.i++
		}
		name := p.s[start:p.i]
		if err := p.skipFWS(name); err != nil {
			return nil, err
		}
		if p.i == len(p.s) || p.s[p.i] == ';' {
			return nil, p.errf(name, start, "the tag has no \"=\" and no value (write %s=value)", name)
		}
		if p.s[p.i] != '=' {
			if p.s[p.i-1] == ' ' || p.s[p.i-1] == '\t' {
				return nil, p.errf(name, p.i, "expected \"=\" after the tag name, found %s", quoteByte(p.s, p.i))
			}
			return nil, p.errf(name, p.i, "a tag name may hold only letters, digits and \"_\"; found %s", quoteByte(p.s, p.i))
		}
		p.i++ // '='
		if err := p.skipFWS(name); err != nil {
			return nil, err
		}
		vstart, vend := p.i, p.i
		s, i := p.s, p.i
	value:
		for i < len(s) {
			c := s[i]
			if valChar[c] {
				// A run of VALCHARs: most of a value is one or a few.
				i = valRun(s, i+1)
				vend = i
				continue
			}
			switch {
			case c == ';':
				break value
			case c == ' ' || c == '\t':
				i++
			case c == '\r' || c == '\n':
				p.i = i
				n, err := p.lineBreak(name)
				if err != nil {
					return nil, err
				}
				i += n
			case c >= 0x80:
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size <= 1 {
					return nil, p.errf(name, i, "invalid UTF-8 (byte 0x%02x) in the value", c)
				}
				i += size
				vend = i
			default:
				return nil, p.errf(name, i, "a control character (0x%02x) in the value", c)
			}
		}
		p.i = i
		if first, dup := p.duplicate(list[base:], &seen, name); dup {
			return nil, p.errf(name, start, "the tag appears twice (first at offset %d); RFC 6376 §3.2 makes a duplicate tag an error", first)
		}
		if seen != nil {
			seen[name] = start
		}
		list = append(list, Tag{Name: name, Value: p.s[vstart:vend], Offset: start, ValueStart: vstart, ValueEnd: vend})
		if p.i == len(p.s) {
			return list, nil
		}
		p.i++ // ';'
		if err := p.skipFWS(""); err != nil {
			return nil, err
		}
		if p.i == len(p.s) {
			return list, nil // trailing ";"
		}
	}
}

// duplicate reports whether name is already in list, and where. Lists of
// up to 16 tags are scanned; longer ones get a map.
func (p *tagParser) duplicate(list TagList, seen *map[string]int, name string) (int, bool) {
	if *seen == nil && len(list) < 16 {
		for _, t := range list {
			// Names are short: the first octet settles most pairs.
			if len(t.Name) == len(name) && t.Name[0] == name[0] && t.Name == name {
				return t.Offset, true
			}
		}
		return 0, false
	}
	if *seen == nil {
		*seen = make(map[string]int, 2*len(list))
		for _, t := range list {
			(*seen)[t.Name] = t.Offset
		}
	}
	off, ok := (*seen)[name]
	return off, ok
}

func quoteByte(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError || r < 0x20 || r == 0x7f {
		return fmt.Sprintf("byte 0x%02x", s[i])
	}
	return fmt.Sprintf("%q", r)
}

// RemoveFWS returns s without its spaces, tabs, CRs and LFs: the form in
// which base64 values (p=, b=, bh=) are decoded.
func RemoveFWS(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
