package dkim

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRawCanonicalizerMatchesConversion: canonicalizing a body with bare
// LFs read as line ends (the verifier's and signer's single pass) gives the
// octets of converting bare LFs to CRLF first and canonicalizing after, for
// bodies of CR, LF, spaces and text in any mix, written in pieces of any
// size, for both canonicalizations.
func TestRawCanonicalizerMatchesConversion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab \t\r\n\r\n\n\n")
	for i := range 3000 {
		body := make([]byte, rng.IntN(200))
		for k := range body {
			body[k] = alphabet[rng.IntN(len(alphabet))]
		}
		if i%50 == 0 {
			body = bytes.Repeat(append(body, "text\n"...), 500) // past the buffer size
		}
		for _, canon := range []string{"simple", "relaxed"} {
			var want bytes.Buffer
			cr := newCRLFReader(bytes.NewReader(body))
			wc := newBodyCanonicalizer(&want, canon)
			if _, err := io.Copy(wc, cr); err != nil {
				t.Fatal(err)
			}
			wc.Close()
			wc.release()
			cr.release()

			var got bytes.Buffer
			gc := newRawBodyCanonicalizer(&got, canon)
			for rest := body; len(rest) > 0; {
				n := min(1+rng.IntN(7), len(rest))
				gc.Write(rest[:n])
				rest = rest[n:]
			}
			gc.Close()
			gc.release()
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("%s %q:\n got %q\nwant %q", canon, body, got.Bytes(), want.Bytes())
			}
			if gc.sawBareLF != bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatalf("%q: sawBareLF = %v", body, gc.sawBareLF)
			}
		}
	}
}

// TestCanonicalizerRunsAgainstReference: bodies of words, single and double
// spaces, tabs, trailing whitespace, bare CRs and LFs, lines longer than the
// buffer, written in pieces of any size, against the RFC transcription
// referenceCanon (the runs copied whole must give what the octet-by-octet
// rules give).
func TestCanonicalizerRunsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"word", "x", " ", "  ", "\t", " \t ", "\r\n", "\r\n\r\n", "\r", "\n", " \r\n", "é", "=3D"}
	for i := range 3000 {
		var b bytes.Buffer
		for range rng.IntN(60) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if i%100 == 0 {
			b.WriteString(string(bytes.Repeat([]byte("long line "), 3000))) // past the 16 KiB buffer
			b.WriteString("\r\n")
		}
		body := b.Bytes()
		for _, canon := range []string{"simple", "relaxed"} {
			var got bytes.Buffer
			c := newBodyCanonicalizer(&got, canon)
			for rest := body; len(rest) > 0; {
				n := min(1+rng.IntN(50), len(rest))
				c.Write(rest[:n])
				rest = rest[n:]
			}
			c.Close()
			c.release()
			if want := referenceCanon(string(body), canon); got.String() != want {
				t.Fatalf("%s %q:\n got %q\nwant %q", canon, body, got.String(), want)
			}
		}
	}
}

// TestCRLFReaderWriteTo: WriteTo gives what Read gives, for in-memory
// readers (passed through in one piece after passThrough) and others,
// before and after passThrough, with part of the input already read.
func TestCRLFReaderWriteTo(t *testing.T) {
	msg := "A: 1\nB: 2\r\n\nbody\nline\r\nend"
	readers := map[string]func() io.Reader{
		"bytes":   func() io.Reader { return bytes.NewReader([]byte(msg)) },
		"strings": func() io.Reader { return strings.NewReader(msg) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(msg)) },
	}
	for name, open := range readers {
		for _, raw := range []bool{false, true} {
			for _, first := range []int{0, 3, 12} {
				read := func(useWriteTo bool) string {
					cr := newCRLFReader(open())
					defer cr.release()
					head := make([]byte, first)
					if _, err := io.ReadFull(cr, head); err != nil {
						t.Fatal(err)
					}
					if raw {
						cr.passThrough()
					}
					var rest bytes.Buffer
					var err error
					if useWriteTo {
						_, err = cr.WriteTo(&rest)
					} else {
						_, err = rest.ReadFrom(struct{ io.Reader }{cr})
					}
					if err != nil {
						t.Fatal(err)
					}
					return string(head) + rest.String()
				}
				if got, want := read(true), read(false); got != want {
					t.Errorf("%s raw=%v after %d: WriteTo gives %q, Read %q", name, raw, first, got, want)
				}
			}
		}
	}
}
