package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkim"
)

// SignTap passes a signed message through to a writer, and keeps what the
// MessageSigned record needs: the message's SHA-256 and size, and the new
// DKIM-Signature fields at its top. Give it to dkim.Sign as the writer.
type SignTap struct {
	w    io.Writer
	h    hash.Hash
	n    int64
	head []byte
}

// maxTapHead is how much of the start of the signed message a SignTap
// keeps: the new signature fields are well within it.
const maxTapHead = 64 << 10

// NewSignTap returns a SignTap writing to w.
func NewSignTap(w io.Writer) *SignTap {
	return &SignTap{w: w, h: sha256.New()}
}

// Write writes p to the underlying writer, then hashes what was written.
func (t *SignTap) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.h.Write(p[:n])
	t.n += int64(n)
	if room := maxTapHead - len(t.head); room > 0 {
		t.head = append(t.head, p[:min(n, room)]...)
	}
	return n, err
}

// Event describes the message signed: input and output name where it came
// from and went ("-": standard input and output; relative paths are made
// absolute), keyFiles the key file of each signature, in the order of
// opts, as given to dkim.Sign.
func (t *SignTap) Event(input, output string, keyFiles []string, opts []dkim.SignOptions) MessageSigned {
	if input == "" {
		input = "-"
	}
	if output == "" {
		output = "-"
	}
	ev := MessageSigned{
		Input: absPath(input), Output: absPath(output),
		SHA256: hex.EncodeToString(t.h.Sum(nil)), Size: t.n,
		Signatures: make([]Signature, 0, len(opts)),
	}
	sigs := headSignatures(t.head, len(opts))
	for i, o := range opts {
		s := Signature{Domain: o.Domain, Selector: o.Selector}
		if o.Signer != nil {
			s.KeyFingerprint = Fingerprint(o.Signer.Public())
			if alg, err := dkim.SignerAlgorithm(o.Signer); err == nil {
				s.Algorithm = alg + "-sha256"
			}
		}
		if i < len(keyFiles) {
			s.KeyFile = absPath(keyFiles[i])
		}
		for j, sig := range sigs {
			if sig != nil && strings.EqualFold(sig.Domain, o.Domain) && strings.EqualFold(sig.Selector, o.Selector) {
				s.Algorithm = sig.Algorithm
				s.BodyHash = base64.StdEncoding.EncodeToString(sig.BodyHash)
				s.Value = base64.StdEncoding.EncodeToString(sig.Data)
				s.Time = sig.Timestamp
				sigs[j] = nil // each field matches one signature
				break
			}
		}
		ev.Signatures = append(ev.Signatures, s)
	}
	return ev
}

// headSignatures parses the first n header fields of a message's start as
// DKIM-Signature fields; the others (and any that do not parse) are nil.
func headSignatures(head []byte, n int) []*dkim.Signature {
	var out []*dkim.Signature
	var field strings.Builder
	flush := func() {
		if field.Len() == 0 {
			return
		}
		name, value, ok := strings.Cut(field.String(), ":")
		field.Reset()
		var sig *dkim.Signature
		if ok && strings.EqualFold(strings.TrimSpace(name), "DKIM-Signature") {
			if s, err := dkim.ParseSignature(value); err == nil {
				sig = s
			}
		}
		out = append(out, sig)
	}
	for len(head) > 0 && len(out) < n {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break // a line cut by the head's limit
		}
		line := strings.TrimRight(string(head[:i]), "\r")
		head = head[i+1:]
		if line == "" {
			break // the end of the header
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
		} else {
			field.WriteString("\r\n") // a fold
		}
		field.WriteString(line)
	}
	if len(out) < n {
		flush()
	}
	return out
}
