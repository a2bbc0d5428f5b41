package mailreport

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	tests := []struct {
		data string
		want Format
	}{
		{"\x1f\x8b\x08", FormatGzip},
		{"PK\x03\x04rest", FormatZip},
		{"\xef\xbb\xbf  <?xml version=\"1.0\"?><feedback/>", FormatXML},
		{"\n{\"organization-name\":1}", FormatJSON},
		{"From a@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\n", FormatMbox},
		{"Subject: x\r\n\r\nbody", FormatEmail},
		{"From: a@example.com\n", FormatEmail},
		{"this is not a report", FormatUnknown},
		{"", FormatUnknown},
	}
	for _, tt := range tests {
		if got := Sniff([]byte(tt.data)); got != tt.want {
			t.Errorf("Sniff(%q) = %q, want %q", tt.data, got, tt.want)
		}
	}
}

func TestGunzip(t *testing.T) {
	u := NewUnpacker("test", DefaultLimits)
	two := append(gz(t, []byte("hello ")), gz(t, []byte("world"))...)
	out, err := u.Gunzip("two.gz", two)
	if err != nil || string(out) != "hello world" || len(u.Warnings) != 0 {
		t.Fatalf("concatenated members: %q %v %v", out, err, u.Warnings)
	}
	out, err = u.Gunzip("crlf.gz", append(gz(t, []byte("<feedback/>")), '\r', '\n'))
	if err != nil || string(out) != "<feedback/>" {
		t.Fatalf("trailing CRLF: %q %v", out, err)
	}
	if len(u.Warnings) != 1 || u.Warnings[0].Quirk != QuirkGzipTrailingData || u.Warnings[0].Source != "crlf.gz" {
		t.Fatalf("warnings %v", u.Warnings)
	}
	full := gz(t, []byte(strings.Repeat("x", 5000)))
	if _, err := u.Gunzip("cut.gz", full[:len(full)-12]); err == nil || !strings.Contains(err.Error(), "test: cut.gz: decompressing") {
		t.Errorf("truncated: %v", err)
	}
	small := NewUnpacker("test", Limits{MaxExpanded: 1000})
	if _, err := small.Gunzip("bomb.gz", gz(t, make([]byte, 5000))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("bomb: %v", err)
	}
	if _, err := u.Gunzip("bad.gz", []byte{0x1f, 0x8b, 0, 0}); err == nil || !strings.Contains(err.Error(), "not a valid gzip") {
		t.Errorf("bad header: %v", err)
	}
}

func TestUnzip(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range []string{"a.xml", "dir/", "b.txt"} {
		f, _ := w.Create(n)
		if !strings.HasSuffix(n, "/") {
			f.Write([]byte("data of " + n))
		}
	}
	w.Close()
	u := NewUnpacker("test", DefaultLimits)
	ms, err := u.Unzip("r.zip", b.Bytes())
	if err != nil || len(ms) != 2 || ms[0].Source != "r.zip:a.xml" || string(ms[1].Data) != "data of b.txt" {
		t.Fatalf("%v %+v", err, ms)
	}
	few := NewUnpacker("test", Limits{MaxMembers: 2})
	if _, err := few.Unzip("r.zip", b.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("members: %v", err)
	}
}

const report = "From: reports@receiver.example\r\n" +
	"Subject: Report\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\r\n\r\n" +
	"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhuman part\r\n" +
	"--b1\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n" +
	"--b2\r\nContent-Type: application/gzip; name=\"r.xml.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29y\r\nbGQ\r\n" +
	"--b2--\r\n" +
	"--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@example.com\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n" +
	"--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D\r\n"

func TestReadMessage(t *testing.T) {
	u := NewUnpacker("test", DefaultLimits)
	m, err := u.ReadMessage("r.eml", []byte(report))
	if err != nil {
		t.Fatal(err)
	}
	if m.Multipart != "multipart/report" || m.ReportType != "feedback-report" || len(m.Parts) != 4 {
		t.Fatalf("%+v", m)
	}
	want := []struct{ index, mt, body string }{
		{"1", "text/plain", "human part"},
		{"2.1", "application/gzip", "hello world"},
		{"3", "message/rfc822", "From: a@example.com\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\nbody\r\n--x--"},
		{"4", "text/plain", "softbreak ="}, // the final CRLF could begin the missing boundary
	}
	for i, w := range want {
		p := m.Parts[i]
		if p.Index != w.index || p.MediaType != w.mt || string(p.Body) != w.body {
			t.Errorf("part %d: %s %s %q", i, p.Index, p.MediaType, p.Body)
		}
	}
	if m.Parts[1].Filename != "r.xml.gz" {
		t.Errorf("filename %q", m.Parts[1].Filename)
	}
	// The last part had no closing boundary, and the base64 no padding.
	var quirks []Quirk
	for _, w := range u.Warnings {
		quirks = append(quirks, w.Quirk)
	}
	if len(quirks) != 2 || quirks[0] != QuirkBase64Padding || quirks[1] != QuirkMultipartUnterminated {
		t.Errorf("warnings %v", u.Warnings)
	}
}

func TestReadMessageLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < 10; i++ {
		b.WriteString("--b\r\n\r\npart\r\n")
	}
	b.WriteString("--b--\r\n")
	u := NewUnpacker("test", Limits{MaxParts: 5})
	if _, err := u.ReadMessage("many.eml", []byte(b.String())); !errors.Is(err, ErrTooLarge) {
		t.Errorf("parts: %v", err)
	}
	var deep string
	for i := 0; i < 12; i++ {
		deep += fmt.Sprintf("Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	if _, err := NewUnpacker("test", DefaultLimits).ReadMessage("deep.eml", []byte(deep)); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("depth: %v", err)
	}
	if _, err := NewUnpacker("test", DefaultLimits).ReadMessage("x.eml", []byte("Content-Type: multipart/mixed\r\n\r\nx")); err == nil || !strings.Contains(err.Error(), "no boundary") {
		t.Errorf("boundary: %v", err)
	}
	if _, err := NewUnpacker("test", DefaultLimits).ReadMessage("b64.eml", []byte("Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n")); err == nil || !strings.Contains(err.Error(), "not valid base64") {
		t.Errorf("base64: %v", err)
	}
}

func TestReadMbox(t *testing.T) {
	box := "From a@example.com Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nbody\r\n>From the start\r\n>>From deeper\r\nFrom inside a paragraph stays\r\nFrom someone who wrote Monday stays\r\n\r\n" +
		"From b@example.com Mon Jan  1 00:00:01 2024\nSubject: two\n\n" + strings.Repeat("x", 300) + "\n\n" +
		"From c@example.com Mon Jan  1 00:00:02 2024\nSubject: three\n\nlast\n" +
		"From d@example.com Tue Jan  2 00:00:02 2024\nSubject: four, no empty line before\n\nx"
	var got []MboxMessage
	err := ReadMbox(strings.NewReader(box), 200, func(m MboxMessage) bool { got = append(got, m); return true })
	if err != nil || len(got) != 4 {
		t.Fatalf("%v %d", err, len(got))
	}
	if want := "Subject: one\r\n\r\nbody\r\nFrom the start\r\n>From deeper\r\nFrom inside a paragraph stays\r\nFrom someone who wrote Monday stays\r\n\r\n"; string(got[0].Data) != want {
		t.Errorf("message 1 %q", got[0].Data)
	}
	if got[1].Data != nil || !errors.Is(got[1].Err, ErrTooLarge) || got[1].Number != 2 {
		t.Errorf("message 2 %+v", got[1])
	}
	if string(got[2].Data) != "Subject: three\n\nlast\n" || string(got[3].Data) != "Subject: four, no empty line before\n\nx" {
		t.Errorf("message 3 %q", got[2].Data)
	}
	n := 0
	ReadMbox(strings.NewReader(box), 1000, func(MboxMessage) bool { n++; return false })
	if n != 1 {
		t.Errorf("stop: %d", n)
	}
	if err := ReadMbox(strings.NewReader("Subject: x\n\n"), 1000, func(MboxMessage) bool { return true }); err == nil {
		t.Error("not an mbox")
	}
}

func TestQuirksDocumented(t *testing.T) {
	seen := map[Quirk]bool{}
	for _, q := range Quirks() {
		if seen[q.Quirk] || q.Description == "" || q.Kind == "" {
			t.Errorf("quirk %+v", q)
		}
		seen[q.Quirk] = true
	}
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte(report))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk\r\n--b--\r\n"))
	lim := Limits{MaxInput: 1 << 20, MaxExpanded: 1 << 20, MaxParts: 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		u := NewUnpacker("test", lim)
		m, err := u.ReadMessage("fuzz", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "test: fuzz") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(m.Parts) > lim.MaxParts+1 {
			t.Fatalf("%d parts", len(m.Parts))
		}
		docs, _ := u.Attachments("fuzz", m)
		for _, d := range docs {
			if d.Format != FormatXML && d.Format != FormatJSON {
				t.Fatalf("document of format %q", d.Format)
			}
		}
	})
}

func FuzzReadMbox(f *testing.F) {
	f.Add([]byte("From a@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\n>From y\n\nFrom b Tue x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		total := 0
		ReadMbox(bytes.NewReader(data), 4096, func(m MboxMessage) bool {
			if m.Err == nil && len(m.Data) > 4096 {
				t.Fatalf("message of %d octets", len(m.Data))
			}
			total += len(m.Data)
			return true
		})
		if total > len(data) {
			t.Fatalf("%d octets out of %d", total, len(data))
		}
	})
}
