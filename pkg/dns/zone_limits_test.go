package dns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// zoneSecret is written into files a zone must not be able to read or
// show.
const zoneSecret = "SECRET-TOKEN-4242"

// TestZoneIncludeConfined: an $INCLUDE may only name a file in the
// directory of the file that names it, or below; nothing else is read, and
// no error shows what another file holds.
func TestZoneIncludeConfined(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "zones")
	outside := filepath.Join(root, "outside.inc")
	zoneWrite(t, outside, zoneSecret+" 300 IN TXT \"x\"\n")
	zoneWrite(t, filepath.Join(dir, "ok.inc"), "ok 300 IN TXT \"ok\"\n")
	zoneWrite(t, filepath.Join(dir, "sub", "nested.inc"), "$INCLUDE ../ok.inc\n")
	zoneWrite(t, filepath.Join(dir, "sub", "deeper.inc"), "deeper 300 IN TXT \"d\"\n")
	zoneWrite(t, filepath.Join(dir, "sub", "top-sub.inc"), "$INCLUDE deeper.inc\n")
	zoneWrite(t, filepath.Join(dir, "bad.inc"), "\n\n"+zoneSecret+" 3x00 IN TXT \"x\"\n")
	symlinks := runtime.GOOS != "windows"
	if symlinks {
		if err := os.Symlink(outside, filepath.Join(dir, "link-out.inc")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(root, filepath.Join(dir, "dirlink")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "ok.inc"), filepath.Join(dir, "link-in.inc")); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("EMAILAUTH_TEST_SECRET", zoneSecret)

	refused := []struct{ name, include string }{
		{"parent", "../outside.inc"},
		{"absolute outside", outside},
		{"passwd", "/etc/passwd"},
		{"nested parent", "sub/nested.inc"}, // sub/nested.inc includes ../ok.inc: outside sub
	}
	if runtime.GOOS == "linux" {
		refused = append(refused, struct{ name, include string }{"environment", "/proc/self/environ"})
	}
	if symlinks {
		refused = append(refused,
			struct{ name, include string }{"symlink out", "link-out.inc"},
			struct{ name, include string }{"directory symlink out", "dirlink/outside.inc"})
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			top := filepath.Join(dir, "top.zone")
			zoneWrite(t, top, "$ORIGIN example.test.\n@ 300 IN TXT \"x\"\n$INCLUDE "+tt.include+"\n")
			_, err := LoadZoneFiles(top)
			var ze *ZoneError
			if !errors.As(err, &ze) || !errors.Is(err, ErrZoneIncludeOutside) {
				t.Fatalf("err = %v, want a *ZoneError wrapping ErrZoneIncludeOutside", err)
			}
			if strings.Contains(err.Error(), zoneSecret) || strings.Contains(fmt.Sprintf("%+v", err), zoneSecret) {
				t.Errorf("error %q shows another file's content", err)
			}
			if !strings.Contains(err.Error(), "$INCLUDE refused") || ze.Line == 0 {
				t.Errorf("error %q: want a clear refusal with a line", err)
			}
		})
	}

	allowed := []string{"ok.inc", filepath.Join(dir, "ok.inc"), "sub/top-sub.inc", "./sub/../ok.inc"}
	if symlinks {
		allowed = append(allowed, "link-in.inc")
	}
	for _, inc := range allowed {
		top := filepath.Join(dir, "top.zone")
		zoneWrite(t, top, "$ORIGIN example.test.\n$INCLUDE "+inc+"\n")
		if _, err := LoadZoneFiles(top); err != nil {
			t.Errorf("$INCLUDE %s: %v", inc, err)
		}
	}

	// An error inside an included file names the file and the line, never
	// what the line says.
	top := filepath.Join(dir, "top.zone")
	zoneWrite(t, top, "$ORIGIN example.test.\n$INCLUDE bad.inc\n")
	_, err := LoadZoneFiles(top)
	var ze *ZoneError
	if !errors.As(err, &ze) || ze.File != filepath.Join(dir, "bad.inc") || ze.Line != 3 {
		t.Fatalf("err = %v, want an error at bad.inc:3", err)
	}
	if strings.Contains(err.Error(), zoneSecret) || strings.Contains(err.Error(), "3x00") || strings.Contains(fmt.Sprintf("%v", errors.Unwrap(err)), "3x00") {
		t.Errorf("error %q quotes the included file", err)
	}
	// The same mistake in the named file is quoted: the user wrote it.
	zoneWrite(t, top, "$ORIGIN example.test.\nx 3x00 IN TXT \"x\"\n")
	if _, err := LoadZoneFiles(top); err == nil || !strings.Contains(err.Error(), `bad TTL "3x00"`) {
		t.Errorf("named file: err = %v", err)
	}
}

// zoneGenerateBomb is the zone: lines of $GENERATE 0-65535, each
// making 65,536 records.
func zoneGenerateBomb(lines int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN gen.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\n")
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, "$GENERATE 0-65535 h$.l%d 300 IN TXT \"v=spf1 ip4:192.0.2.1 -all $\"\n", i)
	}
	return b.String()
}

func TestZoneRecordLimits(t *testing.T) {
	// The default: 100,000 records per file. Two lines make 131,072.
	_, err := ParseZone(strings.NewReader(zoneGenerateBomb(2)), "bomb.zone", "")
	var ze *ZoneError
	if !errors.As(err, &ze) || !errors.Is(err, ErrZoneTooLarge) || ze.File != "bomb.zone" ||
		!strings.Contains(err.Error(), "more than 100000 records (the limit of ZoneOptions.MaxRecords)") {
		t.Fatalf("err = %v, want ErrZoneTooLarge for bomb.zone", err)
	}
	// One line is within it.
	if _, err := ParseZone(strings.NewReader(zoneGenerateBomb(1)), "one.zone", ""); err != nil {
		t.Errorf("65,536 records: %v", err)
	}

	small := ZoneOptions{MaxRecords: 100}
	if _, err := small.Parse(strings.NewReader("$ORIGIN example.test.\n$GENERATE 1-100 h$ 300 IN A 192.0.2.1\n"), "t.zone", ""); err != nil {
		t.Errorf("100 records with MaxRecords 100: %v", err)
	}
	if _, err := small.Parse(strings.NewReader("$ORIGIN example.test.\n$GENERATE 0-100 h$ 300 IN A 192.0.2.1\n"), "t.zone", ""); !errors.Is(err, ErrZoneTooLarge) {
		t.Errorf("101 records with MaxRecords 100: err = %v", err)
	}

	// The total over several files, and records of included files count
	// toward the file that includes them.
	dir := t.TempDir()
	var files []string
	for i := 0; i < 3; i++ {
		f := filepath.Join(dir, fmt.Sprintf("z%d.zone", i))
		zoneWrite(t, f, fmt.Sprintf("$ORIGIN z%d.test.\n$GENERATE 1-40 h$ 300 IN A 192.0.2.1\n", i))
		files = append(files, f)
	}
	if _, err := (ZoneOptions{MaxRecords: 50, MaxTotalRecords: 120}).LoadFiles(files...); err != nil {
		t.Errorf("3 x 40 records, total limit 120: %v", err)
	}
	_, err = ZoneOptions{MaxRecords: 50, MaxTotalRecords: 100}.LoadFiles(files...)
	if !errors.As(err, &ze) || !errors.Is(err, ErrZoneTooLarge) || ze.File != files[2] || !strings.Contains(err.Error(), "together have more than 100 records") {
		t.Errorf("3 x 40 records, total limit 100: err = %v", err)
	}
	zoneWrite(t, filepath.Join(dir, "many.inc"), "$GENERATE 1-40 i$ 300 IN A 192.0.2.1\n")
	top := filepath.Join(dir, "top.zone")
	zoneWrite(t, top, "$ORIGIN top.test.\n$GENERATE 1-20 h$ 300 IN A 192.0.2.1\n$INCLUDE many.inc\n")
	_, err = ZoneOptions{MaxRecords: 50}.LoadFiles(top)
	if !errors.As(err, &ze) || !errors.Is(err, ErrZoneTooLarge) || ze.File != filepath.Join(dir, "many.inc") {
		t.Errorf("include over the limit: err = %v", err)
	}
}

func TestZoneFileSizeLimit(t *testing.T) {
	opts := ZoneOptions{MaxFileSize: 64}
	text := "$ORIGIN example.test.\n" + strings.Repeat("; a comment line\n", 4)
	if _, err := opts.Parse(strings.NewReader(text), "t.zone", ""); !errors.Is(err, ErrZoneTooLarge) {
		t.Errorf("named text over the limit: err = %v", err)
	}
	dir := t.TempDir()
	zoneWrite(t, filepath.Join(dir, "big.inc"), text)
	top := filepath.Join(dir, "top.zone")
	zoneWrite(t, top, "$INCLUDE big.inc\n")
	_, err := opts.LoadFiles(top)
	if !errors.Is(err, ErrZoneTooLarge) || !strings.Contains(err.Error(), "larger than 64 octets") {
		t.Errorf("included file over the limit: err = %v", err)
	}
	zoneWrite(t, top, text)
	if _, err := opts.LoadFiles(top); !errors.Is(err, ErrZoneTooLarge) {
		t.Errorf("named file over the limit: err = %v", err)
	}
}

// BenchmarkZoneGenerateBomb loads the zone: 40 lines of
// $GENERATE 0-65535 (2.6 million records unbounded). With the default
// limits loading stops after 100,000 records.
func BenchmarkZoneGenerateBomb(b *testing.B) {
	text := zoneGenerateBomb(40)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseZone(strings.NewReader(text), "bomb.zone", ""); !errors.Is(err, ErrZoneTooLarge) {
			b.Fatal(err)
		}
	}
}
