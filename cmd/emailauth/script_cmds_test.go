package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/report"
)

// serversKey holds a script's DNS servers, by the variable naming them.
type serversKey struct{}

// scriptCommands are the custom commands testscript scripts can use:
//
//	dnsserve VAR ZONEFILE      start an in-process DNS server (UDP and TCP on
//	                           127.0.0.1) serving the zone file's records;
//	                           $VAR is set to its address
//	dnsfault VAR NAME TYPE KIND [TIMES]
//	                           inject a fault for NAME (or "*") and TYPE (or
//	                           "*"): drop, servfail, refused, truncate,
//	                           delay=DURATION; only the first TIMES queries
//	dnsqueries VAR             print the queries the server saw: "udp=N tcp=M"
//	exitcode N CMD [ARGS...]   run CMD (stdout and stderr kept for the next
//	                           assertions) and require exit status N
//	dnsauth VAR ZONEFILE       start an authoritative server of the zone
//	                           (AA set, no recursion), as a zone's name
//	                           servers are; $VAR is its address
//	dnsafter VAR NAME TYPE ZONEFILE
//	                           once the server VAR (dnsauth) has answered
//	                           a query for NAME TYPE, it serves the records
//	                           of ZONEFILE too: a record that appears while
//	                           a command waits for it
//	mbox OUT FILE...           write the files as the messages of an mbox
//	                           file (mboxrd: "From " lines in them quoted)
//	checksafe stdout|stderr|FILE
//	                           fail when the text holds a character a
//	                           terminal would act on (report.CheckSafe)
//	linedit FILE OP ARGS       edit a file's lines (from 1), as tampering
//	                           would: delete N, swap N M, copy N M (a copy
//	                           of line N after line M), replace N OLD NEW,
//	                           cut N (the last N octets)
//	dnsadd VAR ZONEFILE        the server VAR (dnsauth) serves the records
//	                           of ZONEFILE too, from now on (a record a
//	                           command printed, copied from its stdout)
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"dnsserve": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: dnsserve VAR ZONEFILE")
			}
			text := ts.ReadFile(args[1])
			s := dnstest.NewServer(&scriptTB{ts: ts}, text)
			servers(ts)[args[0]] = s
			ts.Setenv(args[0], s.Addr())
		},
		"dnsfault": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 4 || len(args) > 5 {
				ts.Fatalf("usage: dnsfault VAR NAME TYPE KIND [TIMES]")
			}
			s := servers(ts)[args[0]]
			if s == nil {
				ts.Fatalf("dnsfault: no server %s (dnsserve it first)", args[0])
			}
			name := args[1]
			if name == "*" {
				name = ""
			}
			var qtype uint16
			if args[2] != "*" {
				t, err := dns.ParseType(args[2])
				ts.Check(err)
				qtype = t
			}
			var f dnstest.Fault
			kind, arg, _ := strings.Cut(args[3], "=")
			switch kind {
			case "drop":
				f.Drop = true
			case "servfail":
				f.Rcode = dns.RcodeServFail
			case "refused":
				f.Rcode = dns.RcodeRefused
			case "truncate":
				f.Truncate = true
			case "delay":
				d, err := time.ParseDuration(arg)
				ts.Check(err)
				f.Delay = d
			default:
				ts.Fatalf("dnsfault: unknown fault %q", args[3])
			}
			if len(args) == 5 {
				_, err := fmt.Sscanf(args[4], "%d", &f.Times)
				ts.Check(err)
			}
			s.Inject(name, qtype, f)
		},
		"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: exitcode N COMMAND [ARGS...]")
			}
			want, err := strconv.Atoi(args[0])
			ts.Check(err)
			got := 0
			if err := ts.Exec(args[1], args[2:]...); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					ts.Fatalf("exitcode: %v", err)
				}
				got = ee.ExitCode()
			}
			if got != want {
				ts.Fatalf("%s exited %d, want %d", args[1], got, want)
			}
		},
		"linedit": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 3 {
				ts.Fatalf("usage: linedit FILE delete N | swap N M | copy N M | replace N OLD NEW | cut N")
			}
			lineEdit(ts, args[0], args[1], args[2:])
		},
		"dnsauth": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: dnsauth VAR ZONEFILE")
			}
			tr := &triggerResolver{Fake: dnstest.NewFake(ts.ReadFile(args[1]))}
			s := dnstest.NewServerFor(&scriptTB{ts: ts}, tr)
			s.SetAuthoritative(true)
			servers(ts)[args[0]] = s
			triggers(ts)[args[0]] = tr
			ts.Setenv(args[0], s.Addr())
		},
		"dnsafter": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 4 {
				ts.Fatalf("usage: dnsafter VAR NAME TYPE ZONEFILE")
			}
			tr := triggers(ts)[args[0]]
			if tr == nil {
				ts.Fatalf("dnsafter: no server %s (dnsauth it first)", args[0])
			}
			qtype, err := dns.ParseType(args[2])
			ts.Check(err)
			tr.after(dns.CanonicalName(args[1]), qtype, ts.ReadFile(args[3]))
		},
		"mbox": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: mbox OUT FILE...")
			}
			var b strings.Builder
			for _, name := range args[1:] {
				msg := strings.ReplaceAll(ts.ReadFile(name), "\r\n", "\n")
				b.WriteString("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
				for _, line := range strings.SplitAfter(msg, "\n") {
					if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
						b.WriteByte('>')
					}
					b.WriteString(line)
				}
				if !strings.HasSuffix(msg, "\n") {
					b.WriteByte('\n')
				}
				b.WriteByte('\n')
			}
			ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
		},
		"checksafe": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: checksafe stdout|stderr|FILE")
			}
			err := report.CheckSafe(ts.ReadFile(args[0]))
			switch {
			case err != nil && !neg:
				ts.Fatalf("%s: %v", args[0], err)
			case err == nil && neg:
				ts.Fatalf("%s holds no unsafe character", args[0])
			}
		},
		"dnsadd": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: dnsadd VAR ZONEFILE")
			}
			tr := triggers(ts)[args[0]]
			if tr == nil {
				ts.Fatalf("dnsadd: no server %s (dnsauth it first)", args[0])
			}
			tr.Fake.Add(ts.ReadFile(args[1]))
		},
		"dnsqueries": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 || servers(ts)[args[0]] == nil {
				ts.Fatalf("usage: dnsqueries VAR")
			}
			udp, tcp := servers(ts)[args[0]].Queries()
			fmt.Fprintf(ts.Stdout(), "udp=%d tcp=%d\n", udp, tcp)
		},
	}
}

// lineEdit applies a linedit operation to the script's file name.
func lineEdit(ts *testscript.TestScript, name, op string, args []string) {
	data := ts.ReadFile(name)
	num := func(i int) int {
		if i >= len(args) {
			ts.Fatalf("linedit %s: missing argument", op)
		}
		n, err := strconv.Atoi(args[i])
		ts.Check(err)
		return n
	}
	if op == "cut" {
		n := num(0)
		if n > len(data) {
			ts.Fatalf("linedit cut %d: the file has %d octets", n, len(data))
		}
		ts.Check(os.WriteFile(ts.MkAbs(name), []byte(data[:len(data)-n]), 0o600))
		return
	}
	lines := strings.SplitAfter(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	line := func(i int) int {
		n := num(i)
		if n < 1 || n > len(lines) {
			ts.Fatalf("linedit: line %d of %d", n, len(lines))
		}
		return n - 1
	}
	switch op {
	case "delete":
		i := line(0)
		lines = append(lines[:i], lines[i+1:]...)
	case "swap":
		i, j := line(0), line(1)
		lines[i], lines[j] = lines[j], lines[i]
	case "copy":
		i, j := line(0), line(1)
		rest := append([]string{lines[i]}, lines[j+1:]...)
		lines = append(lines[:j+1], rest...)
	case "replace":
		if len(args) != 3 {
			ts.Fatalf("usage: linedit FILE replace N OLD NEW")
		}
		i := line(0)
		if !strings.Contains(lines[i], args[1]) {
			ts.Fatalf("linedit: line %d has no %q", i+1, args[1])
		}
		lines[i] = strings.Replace(lines[i], args[1], args[2], 1)
	default:
		ts.Fatalf("linedit: unknown operation %q", op)
	}
	ts.Check(os.WriteFile(ts.MkAbs(name), []byte(strings.Join(lines, "")), 0o600))
}

func servers(ts *testscript.TestScript) map[string]*dnstest.Server {
	return ts.Value(serversKey{}).(map[string]*dnstest.Server)
}

// triggersKey holds a script's dnsauth servers' resolvers.
type triggersKey struct{}

func triggers(ts *testscript.TestScript) map[string]*triggerResolver {
	return ts.Value(triggersKey{}).(map[string]*triggerResolver)
}

// triggerResolver answers from a Fake and, once a query for a name and type
// has been answered, adds records to it: the next query sees them.
type triggerResolver struct {
	*dnstest.Fake
	mu    sync.Mutex
	rules []trigger
}

type trigger struct {
	name  string
	qtype uint16
	zone  string
	fired bool
}

func (r *triggerResolver) after(name string, qtype uint16, zone string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rules = append(r.rules, trigger{name: name, qtype: qtype, zone: zone})
}

func (r *triggerResolver) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	a, err := r.Fake.Query(ctx, name, qtype)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.rules {
		t := &r.rules[i]
		if !t.fired && t.name == dns.CanonicalName(name) && t.qtype == qtype {
			t.fired = true
			r.Fake.Add(t.zone)
		}
	}
	return a, err
}

// scriptTB lets dnstest run under a testscript script: cleanup at the end
// of the script, fatal errors fail the script. Errors reported from the
// server's goroutines are printed.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (t *scriptTB) Helper()                           {}
func (t *scriptTB) Cleanup(f func())                  { t.ts.Defer(f) }
func (t *scriptTB) Fatalf(format string, args ...any) { t.ts.Fatalf(format, args...) }
func (t *scriptTB) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (t *scriptTB) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }
