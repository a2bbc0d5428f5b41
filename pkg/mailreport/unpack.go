package mailreport

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// An Unpacker reads the containers of one input (a file, or one message of
// a mailbox): it charges everything decompressed to one budget of
// Limits.MaxExpanded octets and collects the warnings of the quirks it
// tolerates. Errors begin with Prefix ("aggregate: ", "tlsreport: ") so
// that the package using the Unpacker reports them as its own.
type Unpacker struct {
	Limits Limits
	// Prefix begins every error, e.g. "aggregate".
	Prefix string
	// Content names what the containers hold, in errors ("it expands past
	// 50 MiB of XML"); "data" when empty.
	Content  string
	Warnings []Warning
	left     int64
}

// NewUnpacker returns an Unpacker for one input; prefix names the package
// reporting errors.
func NewUnpacker(prefix string, lim Limits) *Unpacker {
	lim = lim.WithDefaults()
	return &Unpacker{Limits: lim, Prefix: prefix, left: lim.MaxExpanded}
}

func (u *Unpacker) content() string {
	if u.Content == "" {
		return "data"
	}
	return u.Content
}

// Warn records a warning.
func (u *Unpacker) Warn(source string, q Quirk, format string, args ...any) {
	u.Warnings = append(u.Warnings, NewWarning(source, q, format, args...))
}

// Errorf returns an error about source, prefixed with u.Prefix.
func (u *Unpacker) Errorf(source, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", u.Prefix, source, fmt.Errorf(format, args...))
}

// Charge counts n octets of expanded data against the budget.
func (u *Unpacker) Charge(source string, n int64) error {
	if n > u.left {
		return u.Errorf(source, "the %s is larger than %s: %w", u.content(), Human(u.Limits.MaxExpanded), ErrTooLarge)
	}
	u.left -= n
	return nil
}

// readAll reads r, charging the octets to the budget; it fails once the
// budget is spent (a decompression bomb).
func (u *Unpacker) readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, u.left+1))
	if int64(len(data)) > u.left {
		return nil, fmt.Errorf("it expands past %s of %s: %w", Human(u.Limits.MaxExpanded), u.content(), ErrTooLarge)
	}
	u.left -= int64(len(data))
	return data, err
}

// ReadInput reads one input of at most Limits.MaxInput octets.
func (u *Unpacker) ReadInput(source string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, u.Limits.MaxInput+1))
	if err != nil {
		return nil, u.Errorf(source, "reading: %w", err)
	}
	if int64(len(data)) > u.Limits.MaxInput {
		return nil, u.Errorf(source, "the file is larger than %s: %w", Human(u.Limits.MaxInput), ErrTooLarge)
	}
	return data, nil
}

// Gunzip decompresses gzip data. Several concatenated gzip members are read
// as one stream (RFC 1952 §2.2); octets after the last member that do not
// begin another member are ignored with a QuirkGzipTrailingData warning.
func (u *Unpacker) Gunzip(source string, data []byte) ([]byte, error) {
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, u.Errorf(source, "not a valid gzip file: %v", err)
	}
	var out []byte
	for member := 1; ; member++ {
		// One member at a time: bytes.Reader is an io.ByteReader, so the
		// gzip reader stops exactly at the end of the member, and what
		// follows can be looked at.
		zr.Multistream(false)
		part, err := u.readAll(zr)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, u.Errorf(source, "decompressing: %w", err)
			}
			return nil, u.Errorf(source, "decompressing: %w (the gzip data is damaged or cut short)", err)
		}
		out = append(out, part...)
		rest := data[len(data)-br.Len():]
		if len(rest) == 0 {
			return out, nil
		}
		if !bytes.HasPrefix(rest, []byte{0x1f, 0x8b}) || member >= 64 {
			u.Warn(source, QuirkGzipTrailingData, "%d octets after the end of the gzip data were ignored", len(rest))
			return out, nil
		}
		if err := zr.Reset(br); err != nil {
			return nil, u.Errorf(source, "not a valid gzip member after the first: %v", err)
		}
	}
}

// Member is one file of a zip archive.
type Member struct {
	// Source is the archive's source, a colon and the member's name.
	Source string
	Name   string
	Data   []byte
}

// Unzip decompresses the files of a zip archive (directories are skipped).
func (u *Unpacker) Unzip(source string, data []byte) ([]Member, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, u.Errorf(source, "not a valid zip archive: %v", err)
	}
	if len(zr.File) > u.Limits.MaxMembers {
		return nil, u.Errorf(source, "the archive holds %d files; at most %d are read: %w", len(zr.File), u.Limits.MaxMembers, ErrTooLarge)
	}
	var out []Member
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		member := source + ":" + f.Name
		if f.UncompressedSize64 > uint64(u.left) {
			return nil, u.Errorf(member, "declares %s uncompressed, past the %s limit: %w", Human(int64(min(f.UncompressedSize64, 1<<62))), Human(u.Limits.MaxExpanded), ErrTooLarge)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, u.Errorf(member, "%v", err)
		}
		inner, err := u.readAll(rc)
		rc.Close()
		if err != nil {
			return nil, u.Errorf(member, "decompressing: %w", err)
		}
		out = append(out, Member{Source: member, Name: f.Name, Data: inner})
	}
	return out, nil
}
