package mailreport

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
)

// maxMIMEDepth bounds the nesting of multipart entities.
const maxMIMEDepth = 8

// Message is an e-mail message read into its leaf MIME parts.
type Message struct {
	// Header is the message's own header.
	Header mail.Header
	// Parts are the leaf parts, depth first, in order. A message that is
	// not multipart has one part: its body. A message/rfc822 or
	// text/rfc822-headers part is a leaf: its Body is the embedded message
	// (or header) as sent.
	Parts []*Part
	// Multipart is the media type of the top-level multipart entity
	// ("multipart/report"), empty when the message is not multipart, and
	// ReportType its report-type parameter.
	Multipart  string
	ReportType string
}

// Part is one leaf MIME part.
type Part struct {
	// Index numbers the part as IMAP does: "1", "2.1".
	Index     string
	Header    textproto.MIMEHeader
	MediaType string // lower case; text/plain when absent or malformed
	Params    map[string]string
	// Filename is the Content-Disposition filename, or else the
	// Content-Type name parameter.
	Filename string
	// Body is the content with its transfer encoding (base64,
	// quoted-printable) removed.
	Body []byte
}

// ReadMessage reads data as one e-mail message and decodes its leaf parts.
// A line of an mbox "From " envelope before the header is skipped.
func (u *Unpacker) ReadMessage(source string, data []byte) (*Message, error) {
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, u.Errorf(source, "not a valid e-mail message: %v", err)
	}
	m := &Message{Header: msg.Header}
	w := &walker{u: u, source: source, msg: m}
	if err := w.walk(textproto.MIMEHeader(msg.Header), msg.Body, "", 0); err != nil {
		return nil, err
	}
	return m, nil
}

type walker struct {
	u      *Unpacker
	source string
	msg    *Message
	parts  int
	// cut is set once a missing closing boundary was reported.
	cut bool
}

func (w *walker) walk(h textproto.MIMEHeader, body io.Reader, index string, depth int) error {
	if depth > maxMIMEDepth {
		return w.u.Errorf(w.source, "MIME parts nested more than %d deep", maxMIMEDepth)
	}
	mt, params := mediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		if depth == 0 {
			w.msg.Multipart, w.msg.ReportType = mt, strings.ToLower(params["report-type"])
		}
		if params["boundary"] == "" {
			return w.u.Errorf(w.source, "a %s part has no boundary parameter", mt)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for n := 1; ; n++ {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				if n > 1 {
					if !w.cut {
						w.u.Warn(w.source, QuirkMultipartUnterminated, "the %s entity ends without its closing boundary", mt)
						w.cut = true
					}
					return nil
				}
				return w.u.Errorf(w.source, "bad MIME structure: %v", err)
			}
			w.parts++
			if w.parts > w.u.Limits.MaxParts {
				return w.u.Errorf(w.source, "the message has more than %d MIME parts: %w", w.u.Limits.MaxParts, ErrTooLarge)
			}
			if err := w.walk(p.Header, p, joinIndex(index, n), depth+1); err != nil {
				return err
			}
		}
	}
	if index == "" {
		index = "1"
	}
	part := &Part{Index: index, Header: h, MediaType: mt, Params: params, Filename: params["name"]}
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
		part.Filename = dp["filename"]
	}
	raw, err := io.ReadAll(io.LimitReader(body, w.u.Limits.MaxInput+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return w.u.Errorf(w.source, "reading MIME part %s: %v", index, err)
	}
	if err != nil && !w.cut {
		w.u.Warn(w.source, QuirkMultipartUnterminated, "MIME part %s ends without the closing boundary", index)
		w.cut = true
	}
	if int64(len(raw)) > w.u.Limits.MaxInput {
		return w.u.Errorf(w.source, "MIME part %s is larger than %s: %w", index, Human(w.u.Limits.MaxInput), ErrTooLarge)
	}
	part.Body, err = w.decode(part, raw)
	if err != nil {
		return err
	}
	w.msg.Parts = append(w.msg.Parts, part)
	return nil
}

func (w *walker) decode(p *Part, raw []byte) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		clean := make([]byte, 0, len(raw))
		for _, c := range raw {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				clean = append(clean, c)
			}
		}
		if r := len(clean) % 4; r >= 2 && !bytes.HasSuffix(clean, []byte("=")) {
			clean = append(clean, bytes.Repeat([]byte("="), 4-r)...)
			w.u.Warn(w.source, QuirkBase64Padding, "MIME part %s lacks its base64 padding", p.Index)
		}
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, w.u.Errorf(w.source, "MIME part %s%s is not valid base64: %v", p.Index, nameSuffix(p.Filename), err)
		}
		return out[:n], nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return nil, w.u.Errorf(w.source, "MIME part %s%s is not valid quoted-printable: %v", p.Index, nameSuffix(p.Filename), err)
		}
		return out, nil
	}
	return raw, nil
}

func nameSuffix(filename string) string {
	if filename == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", Abbreviate(filename, 80))
}

func joinIndex(parent string, n int) string {
	if parent == "" {
		return strconv.Itoa(n)
	}
	return parent + "." + strconv.Itoa(n)
}

// mediaType parses a Content-Type value; an absent or malformed one is
// text/plain (RFC 2045 §5.2).
func mediaType(ct string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || (err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter)) {
		return "text/plain", map[string]string{}
	}
	if params == nil {
		params = map[string]string{}
	}
	return strings.ToLower(mt), params
}

// DecodeHeader decodes RFC 2047 encoded-words in a header value. Words in
// a charset other than UTF-8, US-ASCII or ISO-8859-1 are left encoded.
func DecodeHeader(v string) string {
	var d mime.WordDecoder
	out, err := d.DecodeHeader(v)
	if err != nil {
		return v
	}
	return out
}
