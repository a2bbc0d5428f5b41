package dkim

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
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
