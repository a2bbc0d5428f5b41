package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

func TestSignTap(t *testing.T) {
	rsaKey, err := dkimkey.ReadPrivateKeyFile("../../testdata/demo-keys/selector1.example.com.pem")
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := dkimkey.ReadPrivateKeyFile("../../testdata/keys/ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1795435200, 0)
	opts := []dkim.SignOptions{
		{Domain: "example.com", Selector: "selector1", Signer: rsaKey, Time: at},
		{Domain: "example.com", Selector: "ed1", Signer: edKey, Time: at},
	}
	// An older signature in the message is not one of ours.
	msg := "DKIM-Signature: v=1; a=rsa-sha256; d=old.example; s=x; h=from; bh=AAAA; b=BBBB\r\n" +
		"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n"
	var out bytes.Buffer
	tap := NewSignTap(&out)
	if err := dkim.Sign(tap, strings.NewReader(msg), opts...); err != nil {
		t.Fatal(err)
	}
	ev := tap.Event("msg.eml", "", []string{"rsa.pem", "-"}, opts)

	sum := sha256.Sum256(out.Bytes())
	wd, _ := os.Getwd()
	if ev.SHA256 != hex.EncodeToString(sum[:]) || ev.Size != int64(out.Len()) || ev.Input != filepath.Join(wd, "msg.eml") || ev.Output != "-" {
		t.Errorf("message: %+v", ev)
	}
	if len(ev.Signatures) != 2 {
		t.Fatalf("%d signatures", len(ev.Signatures))
	}
	// Each signature's bh= and b= are the ones in the signed message.
	var fields []*dkim.Signature
	err = dkim.ReadMessage(bytes.NewReader(out.Bytes()), readSigs(&fields))
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 3 {
		t.Fatalf("%d DKIM-Signature fields in the signed message, want 3", len(fields))
	}
	for i, s := range ev.Signatures {
		f := fields[i]
		want := Signature{
			Domain: "example.com", Selector: opts[i].Selector, Algorithm: f.Algorithm,
			KeyFingerprint: Fingerprint(opts[i].Signer.Public()),
			BodyHash:       base64.StdEncoding.EncodeToString(f.BodyHash),
			Value:          base64.StdEncoding.EncodeToString(f.Data),
			Time:           at.Unix(),
		}
		if i == 0 {
			want.KeyFile = filepath.Join(wd, "rsa.pem")
		} else {
			want.KeyFile = "-"
		}
		if s != want {
			t.Errorf("signature %d:\n got %+v\nwant %+v", i, s, want)
		}
	}
	if ev.Signatures[0].Algorithm != "rsa-sha256" || ev.Signatures[1].Algorithm != "ed25519-sha256" {
		t.Errorf("algorithms %s, %s", ev.Signatures[0].Algorithm, ev.Signatures[1].Algorithm)
	}
}

func readSigs(out *[]*dkim.Signature) func([]dkim.Field, io.Reader) error {
	return func(fs []dkim.Field, _ io.Reader) error {
		for _, f := range fs {
			if strings.EqualFold(f.Name(), "DKIM-Signature") {
				s, err := dkim.ParseSignature(f.Value())
				if err != nil {
					return err
				}
				*out = append(*out, s)
			}
		}
		return nil
	}
}

func TestSignTapBareLF(t *testing.T) {
	key, err := dkimkey.ReadPrivateKeyFile("../../testdata/keys/ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	opts := []dkim.SignOptions{{Domain: "example.com", Selector: "ed1", Signer: key}}
	var out bytes.Buffer
	tap := NewSignTap(&out)
	if err := dkim.Sign(tap, strings.NewReader("From: a@example.com\nSubject: hi\n\nhello\n"), opts...); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte("\r")) {
		t.Fatal("the signed message has CRLF")
	}
	s := tap.Event("-", "out.eml", []string{"k.pem"}, opts).Signatures[0]
	if s.BodyHash == "" || s.Value == "" || s.Algorithm != "ed25519-sha256" {
		t.Errorf("%+v", s)
	}
}
