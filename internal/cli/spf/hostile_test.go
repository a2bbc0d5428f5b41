package spf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/report"
)

// hostileZone is testdata/spf/hostile.example.zone: records written by
// someone who wants to drive the reader's terminal or mislead them (OSC
// and CSI sequences, BEL, NUL, a right-to-left override, a C1 control,
// invalid UTF-8, a line break followed by a forged result line).
func hostileZone(t *testing.T) dns.Resolver {
	t.Helper()
	z, err := dns.LoadZoneFiles(filepath.Join("..", "..", "..", "testdata", "spf", "hostile.example.zone"))
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// assertSafe fails when out holds a byte that could drive a terminal or
// reorder what it shows (report.CheckSafe).
func assertSafe(t *testing.T, what, out string) {
	t.Helper()
	if err := report.CheckSafe(out); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// TestHostileRecords runs every command of the group, in every output
// format, with and without -q and -v, in colour and not, over hostile
// records, and checks that stdout and stderr hold nothing a terminal would
// act on. Colour, when on, is only the Term's own SGR sequences.
func TestHostileRecords(t *testing.T) {
	flatFile := filepath.Join(t.TempDir(), "flat.zone")
	if err := os.WriteFile(flatFile, []byte("; emailauth spf flatten: pub.hostile.example\n; flatten: \npub.hostile.example. 3600 IN TXT \"v=spf1 -all\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type run func(f *cmdutil.Factory) error
	commands := map[string]run{
		"check": func(f *cmdutil.Factory) error {
			return runCheck(f, &CheckOptions{Domains: domains(t, "hostile.example", "inc.hostile.example", "twice.hostile.example", "caps.hostile.example", "pub.hostile.example"), MaxLookups: 10})
		},
		"eval exp": func(f *cmdutil.Factory) error {
			return runEval(f, &EvalOptions{IP: mustAddr(t, "192.0.2.99"), MailFrom: "a@exp.hostile.example", Helo: "h.example"})
		},
		"eval permerror": func(f *cmdutil.Factory) error {
			return runEval(f, &EvalOptions{IP: mustAddr(t, "192.0.2.99"), MailFrom: "a@hostile.example", Helo: "h.example"})
		},
		"eval include": func(f *cmdutil.Factory) error {
			return runEval(f, &EvalOptions{IP: mustAddr(t, "192.0.2.99"), MailFrom: "a@inc.hostile.example", Helo: "h.example"})
		},
		"build": func(f *cmdutil.Factory) error {
			return runBuild(f, &BuildOptions{Domain: domains(t, "new.example")[0], TTL: 3600, Parts: spfParts("hostile.example", "inc.hostile.example", "twice.hostile.example")})
		},
		"flatten": func(f *cmdutil.Factory) error {
			o := &FlattenOptions{Domain: domains(t, "inc.hostile.example")[0]}
			o.Opts.MaxLookups, o.Opts.MaxRecordLen = 10, 450
			return runFlatten(f, o)
		},
		"flatten --check": func(f *cmdutil.Factory) error {
			return runFlattenCheck(f, &FlattenOptions{Check: flatFile})
		},
	}
	for name, cmd := range commands {
		for _, output := range []string{"table", "json"} {
			for _, mode := range []struct {
				name         string
				quiet, color bool
				verbose      int
			}{{"plain", false, false, 0}, {"-q", true, false, 0}, {"-v colour", false, true, 2}} {
				io, _, out, errOut := cmdutil.Test()
				io.Quiet, io.Verbosity, io.Color, io.ErrColor = mode.quiet, mode.verbose, mode.color, mode.color
				zone := hostileZone(t)
				f := &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: output},
					NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return zone, nil }}
				if err := cmd(f); err != nil && cmdutil.ExitCode(err) != cmdutil.ExitFailed && cmdutil.ExitCode(err) != cmdutil.ExitIncomplete {
					// What root.go does with an error: one line on stderr.
					f.IO.Errorf("emailauth: %s", err)
				} else if err != nil {
					var ee *cmdutil.ExitError
					if !asExit(err, &ee) {
						f.IO.Errorf("emailauth: %s", err)
					}
				}
				what := name + " -o " + output + " " + mode.name
				stdout, stderr := out.String(), errOut.String()
				if mode.color && output == "table" {
					stdout = stripStyles(stdout)
				}
				assertSafe(t, what+" stdout", stdout)
				assertSafe(t, what+" stderr", stderr)
				if output == "table" && strings.Contains(stdout, "\nresult: pass") && name != "eval include" {
					t.Errorf("%s: a record forged a line:\n%s", what, stdout)
				}
				if stdout == "" {
					t.Errorf("%s: no output (stderr %s)", what, stderr)
				}
			}
		}
	}
}

func asExit(err error, ee **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	*ee = e
	return ok
}

// stripStyles removes the SGR sequences the Term writes for its styles;
// any other escape sequence is left, for assertSafe to find.
func stripStyles(s string) string {
	for _, sgr := range []string{"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m"} {
		s = strings.ReplaceAll(s, sgr, "")
	}
	return s
}

// The table of spf check in colour: the styles' SGR sequences and nothing
// else; the record's own ESC is escaped.
func TestCheckTableColour(t *testing.T) {
	var buf bytes.Buffer
	void := dnstest.NewFake(`void.example. 300 IN TXT "v=spf1 a:gone.example -all"`)
	for _, tc := range []struct {
		r      dns.Resolver
		domain string
	}{{hostileZone(t), "hostile.example"}, {void, "void.example"}} {
		a := analyzeFor(t, tc.r, tc.domain)
		writeAnalysis(report.NewTerm(&buf, true), a, tc.domain, a.Status(), false)
	}
	out := buf.String()
	for _, want := range []string{"\x1b[1mhostile.example\x1b[0m\n", "\x1b[31mSYNTAX-ERROR\x1b[0m: ", "\x1b[33mvoid lookup\x1b[0m", "\x1b[31merror\x1b[0m spf.syntax-error", "status: \x1b[31mfail\x1b[0m", `\x1b]0;pwned\x07`} {
		if !strings.Contains(out, want) {
			t.Errorf("the coloured table lacks %q:\n%s", want, out)
		}
	}
	assertSafe(t, "colour", stripStyles(out))
	// The columns line up in display columns: the header and the terms
	// of hostile.example start their COST column at the same place.
	lines := strings.Split(stripStyles(out), "\n")
	header, term := lines[1], ""
	for _, l := range lines {
		if strings.HasPrefix(l, "    ip4:192.0.2.1 ") {
			term = l
		}
	}
	if c := strings.Index(header, "COST"); c < 0 || term == "" || report.Width(term[:c]) != report.Width(header[:c]) || term[c] != '0' {
		t.Errorf("columns:\n%s\n%s", header, term)
	}
}

func analyzeFor(t *testing.T, r dns.Resolver, domain string) *spfAnalysis {
	t.Helper()
	a, err := spfAnalyze(r, domain)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
