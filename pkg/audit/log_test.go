package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// TestMain lets the test binary act as a log writer in another process:
// with AUDIT_TEST_WRITER=PATH and AUDIT_TEST_COUNT=N it appends N records
// to PATH and exits. TestConcurrentProcesses starts several at once.
func TestMain(m *testing.M) {
	if path := os.Getenv("AUDIT_TEST_WRITER"); path != "" {
		n, _ := strconv.Atoi(os.Getenv("AUDIT_TEST_COUNT"))
		if err := writeRecords(path, n, os.Getenv("AUDIT_TEST_NAME")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeRecords appends n records through one Log.
func writeRecords(path string, n int, name string) error {
	l, err := Open(path, Options{NoSync: true, Command: []string{"writer", name}, LockTimeout: time.Minute})
	if err != nil {
		return err
	}
	defer l.Close()
	for i := range n {
		if _, err := l.Append(testEvent{Writer: name, N: i, Pad: strings.Repeat("x", 100+i%700)}); err != nil {
			return err
		}
	}
	return nil
}

type testEvent struct {
	Writer string `json:"writer"`
	N      int    `json:"n"`
	Pad    string `json:"pad,omitempty"`
}

func (testEvent) Kind() string { return "test.event" }

var fixedTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{
		Now:  func() time.Time { return fixedTime },
		User: "alice", Host: "ops1.example", PID: 4242, Dir: "/srv/keys",
		Command: []string{"emailauth", "dkim", "keygen", "--selector=s1", "example.com"},
		NoSync:  true,
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	return strings.Split(string(data[:len(data)-1]), "\n")
}

func TestAppendChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	pemData, err := dkimkey.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	events := []Event{
		NewKeyGenerated(pub, "keys/s1.example.com.pem", "example.com", "s1"),
		RecordsProduced{Domain: "example.com", Records: []DNSRecord{{Name: "s1._domainkey.example.com", Type: "TXT", TTL: 3600, Value: "v=DKIM1; k=ed25519; p=..."}}},
		RotationStep{Domain: "example.com", Current: "s1", Next: "s2", Stage: StagePublish, Step: "publish", Outcome: "done"},
	}
	for i, ev := range events {
		rec, err := l.Append(ev)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Seq != uint64(i+1) {
			t.Errorf("record %d: seq %d", i, rec.Seq)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("the log was created with mode %04o, want 0600", st.Mode().Perm())
	}

	lines := readLines(t, path)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	prev := Genesis
	for i, line := range lines {
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if rec.Prev != prev {
			t.Errorf("line %d: prev %s, want %s", i+1, rec.Prev, prev)
		}
		prev = LineHash([]byte(line))
		if rec.V != 1 || rec.User != "alice" || rec.Host != "ops1.example" || rec.PID != 4242 || rec.Dir != "/srv/keys" || !rec.Time.Equal(fixedTime) || rec.Event != events[i].Kind() {
			t.Errorf("line %d: %+v", i+1, rec)
		}
		if strings.Join(rec.Cmd, " ") != "emailauth dkim keygen --selector=s1 example.com" {
			t.Errorf("line %d: cmd %q", i+1, rec.Cmd)
		}
	}
	// The key's record: algorithm, size, fingerprint, absolute path; never
	// the private key.
	var rec struct{ Data KeyGenerated }
	_ = json.Unmarshal([]byte(lines[0]), &rec)
	wd, _ := os.Getwd()
	want := KeyGenerated{Domain: "example.com", Selector: "s1", Record: "s1._domainkey.example.com", Algorithm: "ed25519", Bits: 256,
		Fingerprint: Fingerprint(pub), File: filepath.Join(wd, "keys/s1.example.com.pem")}
	if rec.Data != want {
		t.Errorf("key.generated data %+v, want %+v", rec.Data, want)
	}
	all, _ := os.ReadFile(path)
	if bytes.Contains(all, []byte("PRIVATE")) || bytes.Contains(all, pemData[40:80]) {
		t.Error("the log holds the private key")
	}

	v, err := Verify(bytes.NewReader(all), VerifyOptions{Head: LineHash([]byte(lines[2]))})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "pass" || v.Records != 3 || v.FirstSeq != 1 || v.LastSeq != 3 || v.Head != LineHash([]byte(lines[2])) || v.HeadLine != 3 || len(v.Problems) != 0 {
		t.Errorf("verify: %+v", v)
	}

	// A second writer continues the chain.
	if _, err := Append(path, testOptions(), ProfileGate{Domain: "example.com", Profile: "/etc/emailauth/gate.yaml", Status: "pass"}); err != nil {
		t.Fatal(err)
	}
	lines = readLines(t, path)
	var last Record
	_ = json.Unmarshal([]byte(lines[3]), &last)
	if last.Seq != 4 || last.Prev != LineHash([]byte(lines[2])) {
		t.Errorf("the fourth record: seq %d prev %s", last.Seq, last.Prev)
	}
}

func TestFingerprintMatchesOpenSSL(t *testing.T) {
	// openssl pkey -in KEY -pubout -outform DER | sha256sum
	for file, want := range map[string]string{
		"../../testdata/demo-keys/selector1.example.com.pem": "e5f4b3c493a6555553440732caab56ccf955803623093e7619c484e6c14579b0",
		"../../testdata/keys/ed25519.pem":                    "fa6a19e3fad3bf8c6006d4be40ca1b389fa2f0761c23ad624db920fdd0333693",
	} {
		key, err := dkimkey.ReadPrivateKeyFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := Fingerprint(key.Public()); got != want {
			t.Errorf("%s: %s, want %s", file, got, want)
		}
	}
	if Fingerprint(struct{}{}) != "" {
		t.Error("a fingerprint for something that is not a key")
	}
}

func TestAppendRefusesDamagedLog(t *testing.T) {
	good := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "audit.log")
		for i := range 2 {
			if _, err := Append(path, testOptions(), testEvent{N: i}); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	for name, damage := range map[string]func([]byte) []byte{
		"cut short":      func(b []byte) []byte { return b[:len(b)-10] },
		"no newline":     func(b []byte) []byte { return b[:len(b)-1] },
		"garbage at end": func(b []byte) []byte { return append(b, "rm -rf /\n"...) },
		"blank line":     func(b []byte) []byte { return append(b, '\n') },
		"record without seq": func(b []byte) []byte {
			return append(b, `{"v":1,"event":"x","prev":"`+Genesis+`"}`+"\n"...)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := good(t)
			data, _ := os.ReadFile(path)
			damaged := damage(append([]byte{}, data...))
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Append(path, testOptions(), testEvent{N: 9})
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("append to a damaged log: %v, want ErrDamaged", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, damaged) {
				t.Error("the damaged log was written to")
			}
		})
	}
}

func TestOpenRefusesNonRegularFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, testOptions()); err == nil {
		t.Fatal("a directory opened as a log")
	}
	if _, err := Open(filepath.Join(dir, "missing", "audit.log"), testOptions()); err == nil {
		t.Fatal("a log in a missing directory opened")
	}
}

func TestLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	holder, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := lockFile(holder.f, time.Second); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.LockTimeout = 30 * time.Millisecond
	_, err = Append(path, opts, testEvent{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("append while another writer holds the lock: %v, want ErrLocked", err)
	}
	unlockFile(holder.f)
	if _, err := Append(path, opts, testEvent{}); err != nil {
		t.Fatalf("append once the lock is released: %v", err)
	}
}

func TestLongCommandLineIsShortened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	opts := testOptions()
	opts.Command = []string{"emailauth", "sign"}
	for i := range 200 {
		opts.Command = append(opts.Command, fmt.Sprintf("msg-%d-%s.eml", i, strings.Repeat("é", 600)))
	}
	rec, err := Append(path, opts, testEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Cmd) != 65 || !strings.HasPrefix(rec.Cmd[64], "[138 more words") || !strings.Contains(rec.Cmd[3], "more octets left out]") {
		t.Errorf("shortened command: %d words, %q ... %q", len(rec.Cmd), rec.Cmd[3], rec.Cmd[len(rec.Cmd)-1])
	}
	line := readLines(t, path)[0]
	if len(line) >= MaxLine {
		t.Errorf("line of %d octets", len(line))
	}
	// An event that cannot fit is refused, and nothing is written.
	if _, err := Append(path, testOptions(), testEvent{Pad: strings.Repeat("x", MaxLine)}); !errors.Is(err, ErrTooLong) {
		t.Fatalf("a huge event: %v, want ErrTooLong", err)
	}
	if n := len(readLines(t, path)); n != 1 {
		t.Errorf("%d lines after a refused event, want 1", n)
	}
}

// checkConcurrentLog verifies a log written by several writers at once:
// every line a whole record, the chain intact, sequence numbers 1..want,
// and each writer's records in the order it wrote them.
func checkConcurrentLog(t *testing.T, path string, want int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := Verify(f, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "pass" || v.Lines != want || v.Records != want || v.FirstSeq != 1 || v.LastSeq != uint64(want) {
		t.Fatalf("verify: %d lines, %d records, seq %d..%d, %s: %v", v.Lines, v.Records, v.FirstSeq, v.LastSeq, v.Status, v.Problems)
	}
	_, _ = f.Seek(0, 0)
	next := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxLine)
	for sc.Scan() {
		var rec struct{ Data testEvent }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a line that is not JSON (interleaved writes?): %v", err)
		}
		if rec.Data.N != next[rec.Data.Writer] {
			t.Fatalf("writer %s: record %d after %d", rec.Data.Writer, rec.Data.N, next[rec.Data.Writer]-1)
		}
		next[rec.Data.Writer]++
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	shared, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	const writers, each = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("g%d", w)
			if w%2 == 0 {
				// Its own open file: kept apart from the others by flock.
				errs <- writeRecords(path, each, name)
				return
			}
			// The shared Log: kept apart by its mutex.
			for i := range each {
				if _, err := shared.Append(testEvent{Writer: name, N: i}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkConcurrentLog(t, path, writers*each)
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	const procs, each = 6, 150
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for p := range procs {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "AUDIT_TEST_WRITER="+path, "AUDIT_TEST_COUNT="+strconv.Itoa(each), fmt.Sprintf("AUDIT_TEST_NAME=p%d", p))
		outs[p] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[p], outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	// This process writes at the same time.
	if err := writeRecords(path, each, "parent"); err != nil {
		t.Fatal(err)
	}
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process %d: %v\n%s", p, err, outs[p])
		}
	}
	checkConcurrentLog(t, path, (procs+1)*each)
}

func BenchmarkAppend(b *testing.B) {
	path := filepath.Join(b.TempDir(), "audit.log")
	l, err := Open(path, Options{NoSync: true, Command: []string{"emailauth", "sign", "-k", "k.pem"}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ev := MessageSigned{Input: "/tmp/m.eml", Output: "-", SHA256: strings.Repeat("a", 64), Size: 1234,
		Signatures: []Signature{{Domain: "example.com", Selector: "s1", Algorithm: "rsa-sha256", KeyFingerprint: strings.Repeat("b", 64), Value: strings.Repeat("c", 344)}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}
