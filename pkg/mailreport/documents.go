package mailreport

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// maxNesting bounds containers inside containers (a gzip file inside a
// zip archive inside an attachment).
const maxNesting = 3

// Document is one report document found in an input, decompressed: an XML
// document (a DMARC aggregate report) or a JSON document (an SMTP TLS
// report).
type Document struct {
	// Source names the input and where in it the document was: the file,
	// then ":" and the zip member or attachment name.
	Source string
	Format Format // FormatXML or FormatJSON
	Data   []byte
}

// Documents unpacks data, a gzip file, a zip archive, or a bare XML or
// JSON document, into its documents. Members of a zip archive that are
// neither (a README beside the reports) are skipped unless their name
// ends in .xml or .json. An e-mail message is not read here: see
// ReadMessage and Attachments.
func (u *Unpacker) Documents(source string, data []byte) ([]Document, error) {
	return u.documents(source, data, 0, false)
}

// documents unpacks data; expanded is set when data is the product of a
// decompression, already charged to the budget.
func (u *Unpacker) documents(source string, data []byte, depth int, expanded bool) ([]Document, error) {
	if depth > maxNesting {
		return nil, u.Errorf(source, "containers nested more than %d deep", maxNesting)
	}
	switch f := Sniff(data); f {
	case FormatXML, FormatJSON:
		if !expanded {
			// Data read straight from the input is charged here; what a
			// container expanded to was charged while decompressing.
			if err := u.Charge(source, int64(len(data))); err != nil {
				return nil, err
			}
		}
		return []Document{{Source: source, Format: f, Data: data}}, nil
	case FormatGzip:
		inner, err := u.Gunzip(source, data)
		if err != nil {
			return nil, err
		}
		switch Sniff(inner) {
		case FormatXML, FormatJSON, FormatGzip, FormatZip:
			return u.documents(source, inner, depth+1, true)
		}
		return nil, u.Errorf(source, "the gzip file holds neither XML nor JSON: %w", ErrNotReport)
	case FormatZip:
		members, err := u.Unzip(source, data)
		if err != nil {
			return nil, err
		}
		var out []Document
		for _, m := range members {
			switch Sniff(m.Data) {
			case FormatXML, FormatJSON, FormatGzip, FormatZip:
				docs, err := u.documents(m.Source, m.Data, depth+1, true)
				if err != nil {
					return nil, err
				}
				out = append(out, docs...)
				continue
			}
			switch strings.ToLower(path.Ext(m.Name)) {
			case ".xml", ".json":
				return nil, u.Errorf(m.Source, "neither XML nor JSON although the name says so")
			}
		}
		if len(out) == 0 {
			return nil, u.Errorf(source, "the archive holds no XML or JSON report: %w", ErrNotReport)
		}
		return out, nil
	}
	return nil, u.Errorf(source, "neither XML, JSON, gzip nor zip: %w", ErrNotReport)
}

// IsAttachment reports whether a MIME part may carry a report document: an
// XML, JSON, gzip or zip media type (RFC 7489 §7.2.1.1, RFC 8460 §5.3), or
// application/octet-stream with a file name ending in one of their
// extensions.
func IsAttachment(p *Part) bool {
	switch p.MediaType {
	case "application/gzip", "application/x-gzip", "application/zip", "application/x-zip-compressed", "application/x-zip",
		"application/xml", "text/xml", "application/json", "application/tlsrpt+json", "application/tlsrpt+gzip", "application/tlsrpt":
		return true
	case "application/octet-stream":
		f := strings.ToLower(p.Filename)
		for _, ext := range []string{".xml", ".gz", ".zip", ".json"} {
			if strings.HasSuffix(f, ext) {
				return true
			}
		}
	}
	return false
}

// Attachments returns the documents of the message's attachments (see
// IsAttachment). An attachment that cannot be read makes an error, unless
// another attachment could be read: then the documents are returned with
// that error. Errors over a limit always stop.
func (u *Unpacker) Attachments(source string, m *Message) ([]Document, error) {
	var out []Document
	var firstErr error
	for _, p := range m.Parts {
		if !IsAttachment(p) {
			continue
		}
		name := source
		if p.Filename != "" {
			name = source + ":" + p.Filename
		} else {
			name = source + ":part" + p.Index
		}
		docs, err := u.documents(name, p.Body, 1, false)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, docs...)
	}
	if len(out) == 0 && firstErr == nil {
		firstErr = u.Errorf(source, "the e-mail carries no report (no XML, JSON, gzip or zip attachment): %w", ErrNotReport)
	}
	return out, firstErr
}

// ParseEach parses every document with parse, in order, and stops at the
// first error. An input that holds no document at all is "no report" (what
// names the kind expected, "XML report"): the error wraps ErrNotReport.
// Every report kind's readers go through it.
func ParseEach[T any](u *Unpacker, docs []Document, pkg, what string, parse func(*Unpacker, Document) (T, error)) ([]T, error) {
	var out []T
	for _, d := range docs {
		rep, err := parse(u, d)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the input holds no %s: %w", pkg, what, ErrNotReport)
	}
	return out, nil
}
