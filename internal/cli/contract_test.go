package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/report"
)

// contractCase is one run of a command: its arguments (after the command's
// path) and the exit code they must give in every output format, with -q
// and without.
type contractCase struct {
	args []string
	code int
}

// contract is the command table of docs/exit-codes.md, run: every command,
// the exit codes it can give, each with an invocation that gives it. A
// command added to the tree without an entry here fails the test.
//
// The DNS is the demo zones; names under sf.test get SERVFAIL.
var contract = map[string][]contractCase{
	"check": {
		{[]string{"example.com"}, 0},
		{[]string{"broken.example"}, 1},
		{[]string{"a..b.example"}, 2},
		{[]string{"--checks", "spf,dmarc", "sf.test"}, 3},
	},
	"lookup": {
		{[]string{"example.com", "MX"}, 0},
		{[]string{"a..b.example"}, 2},
		{[]string{"x.sf.test", "TXT"}, 3},
	},
	"explain": {
		{[]string{"spf.lookup-limit"}, 0},
		{[]string{"spf.lookup-limt"}, 2},
	},
	"version": {
		{nil, 0},
	},
	"spf check": {
		{[]string{"example.com"}, 0},
		{[]string{"broken.example"}, 1},
		{[]string{"a..b.example"}, 2},
		{[]string{"sf.test"}, 3},
	},
	"spf eval": {
		{[]string{"--ip", "192.0.2.130", "--mail-from", "a@example.com"}, 0},
		{[]string{"--ip", "198.18.0.1", "--mail-from", "a@example.com"}, 1},
		{[]string{"--ip", "not-an-ip", "--mail-from", "a@example.com"}, 2},
		{[]string{"--ip", "192.0.2.130", "--mail-from", "a@sf.test"}, 3},
	},
	"spf build": {
		{[]string{"example.com", "--ip4", "192.0.2.0/24"}, 0},
		{[]string{"example.com", "--include", "nothere.example.com"}, 1},
		{[]string{"example.com", "--ip4", "192.0.2.300"}, 2},
		{[]string{"example.com", "--include", "x.sf.test"}, 3},
	},
	"spf flatten": {
		{[]string{"example.com"}, 0},
		{[]string{"--check", "{{dir}}/stale.zone"}, 1},
		{[]string{"a..b.example"}, 2},
		{[]string{"sf.test"}, 3},
	},
	"dkim keygen": {
		{[]string{"example.com", "-s", "k{{n}}", "--algorithm", "ed25519", "--out-dir", "{{dir}}"}, 0},
		{[]string{"example.com", "-s", "k1", "--bits", "512"}, 2},
		{[]string{"example.com", "-s", "k{{n}}", "--algorithm", "ed25519", "--out-dir", "{{dir}}", "--audit-log", "{{dir}}"}, 3},
	},
	"dkim record": {
		{[]string{"example.com", "-s", "selector1", "--private-key", "{{keys}}/selector1.example.com.pem"}, 0},
		{[]string{"example.com", "-s", "selector1", "--private-key", "{{dir}}/missing.pem"}, 2},
	},
	"dkim check": {
		{[]string{"example.com", "-s", "selector1"}, 0},
		{[]string{"example.com", "-s", "nothere"}, 1},
		{[]string{"a..b.example"}, 2},
		{[]string{"sf.test", "-s", "s1"}, 3},
	},
	"dkim rotate": {
		{[]string{"tenant.example", "--selector", "mailu", "--next", "s2", "--resolver", "{{res}}", "--nameserver", "ns1.tenant.example={{ns1}}"}, 0},
		{[]string{"tenant.example", "--selector", "nothere", "--next", "s2", "--resolver", "{{res}}", "--nameserver", "ns1.tenant.example={{ns1}}"}, 1},
		{[]string{"a..b.example", "--selector", "mailu", "--next", "s2", "--resolver", "{{res}}"}, 2},
		{[]string{"tenant.example", "--selector", "mailu", "--next", "s2", "--resolver", "{{res}}", "--nameserver", "ns1.tenant.example=127.0.0.1:9", "--timeout", "200ms", "--retries", "0"}, 3},
	},
	"sign": {
		{[]string{"-k", "{{keys}}/selector1.example.com.pem", "-d", "example.com", "-s", "selector1", "{{msgs}}/tenant.eml"}, 0},
		{[]string{"-k", "{{dir}}/missing.pem", "-d", "example.com", "-s", "selector1", "{{msgs}}/tenant.eml"}, 2},
		{[]string{"-k", "{{keys}}/selector1.example.com.pem", "-d", "example.com", "-s", "selector1", "--audit-log", "{{dir}}", "{{msgs}}/tenant.eml"}, 3},
	},
	"verify": {
		{[]string{"{{msgs}}/tenant-signed.eml"}, 0},
		{[]string{"{{msgs}}/tenant.eml"}, 1},
		{[]string{"{{dir}}/missing.eml"}, 2},
		{[]string{"--ip", "192.0.2.130", "--helo", "mx.sf.test", "--mail-from", "a@sf.test", "{{dir}}/from-sf.eml"}, 3},
	},
	"arc seal": {
		{[]string{"-k", "{{keys}}/selector1.example.com.pem", "-d", "example.com", "-s", "selector1", "--authserv-id", "mx.example.com", "{{arc}}/sealed.eml"}, 0},
		{[]string{"-k", "{{keys}}/selector1.example.com.pem", "-d", "example.com", "-s", "selector1", "--authserv-id", "mx.example.com", "{{arc}}/broken.eml"}, 1},
		{[]string{"-k", "{{dir}}/missing.pem", "-d", "example.com", "-s", "selector1", "--authserv-id", "mx.example.com", "{{msgs}}/tenant.eml"}, 2},
		{[]string{"-k", "{{keys}}/selector1.example.com.pem", "-d", "example.com", "-s", "selector1", "--authserv-id", "mx.example.com", "{{arc}}/servfail.eml"}, 3},
	},
	"arc verify": {
		{[]string{"{{arc}}/sealed.eml"}, 0},
		{[]string{"{{arc}}/broken.eml"}, 1},
		{[]string{"{{dir}}/missing.eml"}, 2},
		{[]string{"{{arc}}/servfail.eml"}, 3},
	},
	"dmarc check": {
		{[]string{"example.com"}, 0},
		{[]string{"contract.test"}, 1},
		{[]string{"a..b.example"}, 2},
		{[]string{"sf.test"}, 3},
	},
	"dmarc build": {
		{[]string{"example.com", "--policy", "reject", "--rua", "dmarc@example.com"}, 0},
		{[]string{"example.com", "--policy", "reject", "--rua", "dmarc@other.example.com"}, 1},
		{[]string{"example.com", "--policy", "sometimes"}, 2},
		{[]string{"example.com", "--policy", "reject", "--rua", "dmarc@x.sf.test"}, 3},
	},
	"dmarc eval": {
		{[]string{"--from", "example.com", "--dkim-pass", "example.com"}, 0},
		{[]string{"--from", "example.com"}, 1},
		{[]string{"--from", "a..b.example"}, 2},
		{[]string{"--from", "sf.test"}, 3},
	},
	"dmarc orgdomain": {
		{[]string{"mail.example.com"}, 0},
		{[]string{"a..b.example"}, 2},
		{[]string{"x.sf.test"}, 3},
	},
	"records": {
		{[]string{"example.com", "--profile", "{{profiles}}/penguinmails.yaml", "--generate-dkim", "{{dir}}/keys{{n}}"}, 0},
		{[]string{"example.com", "--profile", "{{profiles}}/penguinmails.yaml"}, 1},
		{[]string{"example.com", "--profile", "{{dir}}/missing.yaml"}, 2},
		{[]string{"sf.test", "--profile", "{{profiles}}/penguinmails.yaml"}, 3},
	},
	"wait": {
		{[]string{"tenant.example", "--profile", "{{profiles}}/penguinmails.yaml", "--resolver", "{{res}}", "--zone", "{{zones}}/penguinmails.com.zone", "--nameserver", "ns1.tenant.example={{ns1}}", "--max-wait", "0"}, 0},
		{[]string{"tenant.example", "--profile", "{{profiles}}/penguinmails.yaml", "--resolver", "{{res}}", "--zone", "{{zones}}/penguinmails.com.zone", "--nameserver", "ns1.tenant.example={{ns2}}", "--max-wait", "0"}, 1},
		{[]string{"a..b.example", "--profile", "{{profiles}}/penguinmails.yaml", "--resolver", "{{res}}"}, 2},
		{[]string{"tenant.example", "--profile", "{{profiles}}/penguinmails.yaml", "--resolver", "{{res}}", "--zone", "{{zones}}/penguinmails.com.zone", "--nameserver", "ns1.tenant.example=127.0.0.1:9", "--max-wait", "0", "--timeout", "200ms", "--retries", "0"}, 3},
	},
	"report render": {
		{[]string{"{{dir}}/stored-pass.jsonl"}, 0},
		{[]string{"{{dir}}/stored-fail.jsonl"}, 1},
		{[]string{"{{dir}}/not-a-report.txt"}, 2},
		{[]string{"{{dir}}/stored-error.jsonl"}, 3},
	},
	"dmarc report": {
		{[]string{"{{reports}}/good.xml"}, 0},
		{[]string{"--fail-unless-ready", "{{reports}}/good.xml"}, 1},
		{[]string{"{{reports}}/tls-bad.json"}, 1},
		{[]string{"{{dir}}/missing.xml"}, 2},
		{[]string{"--resolve", "{{reports}}/sf.xml"}, 3},
	},
	"tls-rpt report": {
		{[]string{"{{reports}}/tls-good.json"}, 0},
		{[]string{"{{reports}}/tls-bad.json"}, 1},
		{[]string{"{{reports}}/good.xml"}, 2},
	},
	"audit verify": {
		{[]string{"{{dir}}/audit.log"}, 0},
		{[]string{"{{dir}}/audit-deleted.log"}, 1},
		{[]string{"{{dir}}/missing.log"}, 2},
	},
	"warmup plan": {
		{[]string{"--target", "100000/day"}, 0},
		{[]string{"--target", "100000", "--days", "3"}, 2},
	},
	"warmup assess": {
		{[]string{"--sent", "10000", "--bounced", "10", "--complaints", "1"}, 0},
		{[]string{"--sent", "10000", "--bounced", "300", "--complaints", "30"}, 1},
		{[]string{"--sent", "10", "--bounced", "11"}, 2},
	},
}

// contractExcluded are the commands the contract does not cover: Cobra's
// own, and the hidden generator.
var contractExcluded = []string{"help", "completion", "completion bash", "completion zsh", "completion fish", "completion powershell"}

// TestCommandContract runs every command in every output format it lists,
// with and without -q, and checks: the exit code is the documented one in
// every format; stdout holds a result; -q prints no notes or warnings;
// nothing a terminal would act on reaches either stream; docs/exit-codes.md
// lists exactly these commands, formats and exit codes.
func TestCommandContract(t *testing.T) {
	root := filepath.Join("..", "..")
	zones := []string{
		filepath.Join(root, "testdata", "zones", "example.com.zone"),
		filepath.Join(root, "testdata", "zones", "example.net.zone"),
		filepath.Join(root, "testdata", "zones", "broken.example.zone"),
	}
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		filepath.Join(reports, "good.xml"):       goodAggregate,
		filepath.Join(reports, "sf.xml"):         strings.ReplaceAll(goodAggregate, "example.com", "x.sf.test"),
		filepath.Join(reports, "tls-good.json"):  tlsReport("example.com", 0),
		filepath.Join(reports, "tls-bad.json"):   tlsReport("example.com", 3),
		filepath.Join(dir, "from-sf.eml"):        "From: a@sf.test\nTo: b@example.com\nSubject: hello\n\nhello\n",
		filepath.Join(dir, "contract.zone"):      contractZone,
		filepath.Join(dir, "stored-pass.jsonl"):  `{"domain":"p.example","status":"pass","checks":[{"check":"spf","status":"pass","records":["v=spf1 -all"],"findings":[],"details":{}}]}` + "\n",
		filepath.Join(dir, "stored-fail.jsonl"):  `{"domain":"f.example","status":"fail","checks":[{"check":"spf","status":"fail","records":[],"findings":[{"code":"spf.no-record","severity":"error","message":"no SPF record"}],"details":{}}]}` + "\n",
		filepath.Join(dir, "stored-error.jsonl"): `{"domain":"e.example","status":"error","checks":[{"check":"spf","status":"error","records":[],"findings":[],"details":{},"error":"timeout"}]}` + "\n",
		filepath.Join(dir, "not-a-report.txt"):   "hello\n",
	} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zones = append(zones, filepath.Join(dir, "contract.zone"))
	writeAuditLogs(t, dir)
	// wait asks name servers over the network: a resolver that knows the
	// delegation, and two authoritative servers of tenant.example, one with
	// every record the profile requires and one without DMARC.
	res := dnstest.NewServer(t, waitResolverZone)
	ns1 := dnstest.NewServerFor(t, dnstest.NewFake(waitTenantZone+waitDMARC))
	ns1.SetAuthoritative(true)
	ns2 := dnstest.NewServerFor(t, dnstest.NewFake(waitTenantZone))
	ns2.SetAuthoritative(true)
	expand := strings.NewReplacer(
		"{{res}}", res.Addr(), "{{ns1}}", ns1.Addr(), "{{ns2}}", ns2.Addr(),
		"{{profiles}}", filepath.Join(root, "testdata", "profiles"),
		"{{zones}}", filepath.Join(root, "testdata", "zones"),
		"{{dir}}", dir,
		"{{keys}}", filepath.Join(root, "testdata", "demo-keys"),
		"{{msgs}}", filepath.Join(root, "testdata", "messages"),
		"{{arc}}", filepath.Join(root, "testdata", "arc"),
		"{{reports}}", reports,
	)
	n := 0
	run := func(args []string) (int, string, string) {
		io, _, out, errOut := cmdutil.Test()
		f := NewFactory(io)
		f.Getenv = func(string) string { return "" }
		f.Now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
		f.NewResolver = func(f *cmdutil.Factory) (dns.Resolver, error) {
			r, err := newResolver(f)
			if err != nil {
				return nil, err
			}
			return servfailUnder("sf.test", r), nil
		}
		n++
		full := make([]string, 0, len(args)+8)
		for _, a := range args {
			full = append(full, strings.ReplaceAll(expand.Replace(a), "{{n}}", strconv.Itoa(n)))
		}
		if !slices.Contains(args, "--resolver") {
			full = append(full, "--offline")
			for _, z := range zones {
				full = append(full, "--zone", z)
			}
		}
		code := Run(f, full)
		return code, out.String(), errOut.String()
	}

	// A flattened file gone stale: one of the provider's networks changed.
	if code, out, errOut := run([]string{"spf", "flatten", "example.com", "-q"}); code != 0 || !strings.Contains(out, "203.0.113.0/24") {
		t.Fatalf("spf flatten for the stale file: exit %d\n%s%s", code, out, errOut)
	} else if err := os.WriteFile(filepath.Join(dir, "stale.zone"), []byte(strings.ReplaceAll(out, "203.0.113.0/24", "203.0.114.0/24")), 0o644); err != nil {
		t.Fatal(err)
	}

	tio, _, _, _ := cmdutil.Test()
	tree := NewCmdRoot(NewFactory(tio))
	tree.InitDefaultHelpCmd()
	tree.InitDefaultCompletionCmd()
	var leaves []*cobra.Command
	walkLeaves(tree, &leaves)
	seen := map[string]bool{}
	for _, cmd := range leaves {
		path := strings.TrimPrefix(cmd.CommandPath(), "emailauth ")
		if slices.Contains(contractExcluded, path) {
			continue
		}
		seen[path] = true
		cases, ok := contract[path]
		if !ok {
			t.Errorf("%s has no entry in the contract table (internal/cli/contract_test.go) nor a row in docs/exit-codes.md", path)
			continue
		}
		formats := cmdutil.Outputs(cmd)
		for _, tc := range cases {
			base := append(strings.Fields(path), tc.args...)
			variants := [][]string{base}
			for _, f := range formats {
				variants = append(variants, append(slices.Clone(base), "-o", f))
			}
			if len(formats) > 0 {
				variants = append(variants, append(slices.Clone(base), "-o", strings.ToUpper(formats[len(formats)-1])))
			}
			for _, v := range variants {
				for _, quiet := range []bool{false, true} {
					args := v
					if quiet {
						args = append(slices.Clone(v), "-q")
					}
					code, out, errOut := run(args)
					name := strings.Join(args, " ")
					if code != tc.code {
						t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, tc.code, out, errOut)
						continue
					}
					if err := report.CheckSafe(out); err != nil {
						t.Errorf("%s: stdout: %v", name, err)
					}
					if err := report.CheckSafe(errOut); err != nil {
						t.Errorf("%s: stderr: %v", name, err)
					}
					if code <= cmdutil.ExitFailed && strings.TrimSpace(out) == "" {
						t.Errorf("%s: no result on stdout (stderr: %s)", name, errOut)
					}
					if quiet && regexp.MustCompile(`(?m)^(note|warning): `).MatchString(errOut) {
						t.Errorf("%s: -q printed notes or warnings:\n%s", name, errOut)
					}
				}
			}
		}
	}
	for path := range contract {
		if !seen[path] {
			t.Errorf("the contract table lists %q, which is not a command", path)
		}
	}
	checkExitCodesDoc(t, filepath.Join(root, "docs", "exit-codes.md"), leaves)
}

func walkLeaves(c *cobra.Command, out *[]*cobra.Command) {
	if c.Runnable() && !c.HasSubCommands() {
		*out = append(*out, c)
	}
	for _, s := range c.Commands() {
		walkLeaves(s, out)
	}
}

// checkExitCodesDoc compares the per-command table of docs/exit-codes.md
// with the contract: a row per command, its output formats, and a cell
// for each exit code it can give (— for the codes it cannot).
func checkExitCodesDoc(t *testing.T, path string, leaves []*cobra.Command) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	re := regexp.MustCompile("(?m)^\\| `([a-z -]+)` \\|(.*)\\|\\s*$")
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		cells := strings.Split(m[2], "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[m[1]] = cells
	}
	for _, cmd := range leaves {
		path := strings.TrimPrefix(cmd.CommandPath(), "emailauth ")
		cases, ok := contract[path]
		if !ok {
			continue
		}
		cells, ok := rows[path]
		if !ok {
			t.Errorf("docs/exit-codes.md has no row for %q", path)
			continue
		}
		// Columns: 0, 1, 2, 3, -q prints, -o formats.
		if len(cells) != 6 {
			t.Errorf("docs/exit-codes.md: the row of %q has %d cells, want 6", path, len(cells))
			continue
		}
		for code := 0; code <= 3; code++ {
			has := slices.ContainsFunc(cases, func(c contractCase) bool { return c.code == code })
			documented := cells[code] != "—" && cells[code] != ""
			if has != documented {
				t.Errorf("docs/exit-codes.md: %q exit %d is documented %v, tested %v", path, code, documented, has)
			}
		}
		want := "—"
		if f := cmdutil.Outputs(cmd); len(f) > 0 {
			want = strings.Join(f, ", ")
		}
		if got := strings.ReplaceAll(cells[5], "`", ""); got != want {
			t.Errorf("docs/exit-codes.md: %q formats %q, want %q", path, got, want)
		}
	}
}

// servfailUnder answers SERVFAIL for every name under suffix.
func servfailUnder(suffix string, next dns.Resolver) dns.Resolver {
	return dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if n := dns.CanonicalName(name); n == suffix || strings.HasSuffix(n, "."+suffix) {
			return nil, &dns.Error{Name: n, Type: qtype, RCode: dns.RcodeServFail}
		}
		return next.Query(ctx, name, qtype)
	})
}

// contractZone holds what the demo zones lack: a domain whose DMARC
// record is broken.
const contractZone = `$ORIGIN contract.test.
$TTL 3600
@       IN SOA ns.contract.test. hostmaster.contract.test. 1 7200 3600 1209600 3600
@       IN NS  ns.contract.test.
@       IN TXT "v=spf1 -all"
_dmarc  IN TXT "v=DMARC1; p=sometimes"
`

// The zones of the wait cases: the delegation of tenant.example, and what
// its name servers serve.
const waitResolverZone = `$ORIGIN tenant.example.
@    300 IN SOA ns1.tenant.example. hostmaster.tenant.example. 2026112302 3600 600 1209600 300
@    300 IN NS  ns1.tenant.example.
ns1  300 IN A   192.0.2.1
`

const waitTenantZone = `$ORIGIN tenant.example.
@    300 IN SOA ns1.tenant.example. hostmaster.tenant.example. 2026112302 3600 600 1209600 300
@    300 IN NS  ns1.tenant.example.
@    300 IN TXT "v=spf1 mx include:_spf.penguinmails.com -all"
@    300 IN MX  10 mx.penguinmails.com.
mailu._domainkey 300 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAw3o4+EMpndBugF8lKLwgkjDLhGRLKs1e9YZOMKnAniN8Sb2/YxOm3u7vJO9A7EY7YVn2nATAlR6uf/TJarESlPkE1KNaXSTAG97gf3Vr+69qOK5dSX8DE+s9H5t4LbGaprGUez5ry6EGlncUnu0kIS+9zrK85aI7w3weRXZ1yHGbu5iyWEA+57J4uJss3hg3o" "46Fgd6Szm+9wFFotsxia0F+1kkQy3I26N5NzVU+D6vo5xebIeqzeQL3KfU4+2XPrlsCsPpUZsSAWDdmElmqKikQwUI4Qa0NnNxhOI+uTgBNtqfVIsfukq7/HYGlK/jtIu2H8Znm+BrzqmEH2DqoUQIDAQAB"
_mta-sts 300 IN TXT "v=STSv1; id=20261123"
_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@tenant.example"
default._bimi 300 IN TXT "v=BIMI1; l=https://tenant.example/logo.svg; a="
`

const waitDMARC = `_dmarc 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com"
`

// goodAggregate is a small aggregate report where everything passes.
const goodAggregate = `<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata>
    <org_name>receiver.example</org_name>
    <email>noreply@receiver.example</email>
    <report_id>contract-1</report_id>
    <date_range><begin>1790553600</begin><end>1790639999</end></date_range>
  </report_metadata>
  <policy_published><domain>example.com</domain><p>quarantine</p></policy_published>
  <record>
    <row>
      <source_ip>192.0.2.130</source_ip>
      <count>10</count>
      <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><result>pass</result></dkim>
      <spf><domain>example.com</domain><result>pass</result></spf>
    </auth_results>
  </record>
</feedback>
`

// tlsReport is an SMTP TLS report for domain under an enforced MTA-STS
// policy, with failed sessions whose certificate has expired.
func tlsReport(domain string, failed int) string {
	details := ""
	if failed > 0 {
		details = fmt.Sprintf(`, "failure-details": [{"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.1", "receiving-mx-hostname": "mx.%s", "failed-session-count": %d}]`, domain, failed)
	}
	return fmt.Sprintf(`{"organization-name": "sender.example", "date-range": {"start-datetime": "2026-11-01T00:00:00Z", "end-datetime": "2026-11-01T23:59:59Z"},
"contact-info": "tls@sender.example", "report-id": "contract-%d",
"policies": [{"policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce", "mx: mx.%s", "max_age: 86400"], "policy-domain": "%s"},
"summary": {"total-successful-session-count": 100, "total-failure-session-count": %d}%s}]}
`, failed, domain, domain, failed, details)
}
