package report

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// htmlElements are the elements the html format writes: anything else in a
// document (a <script>, an <img>, an <iframe>) got in from the data.
var htmlElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
	"span": true, "header": true, "h1": true, "h2": true, "p": true, "nav": true, "ul": true,
	"li": true, "a": true, "b": true, "main": true, "table": true, "thead": true, "tbody": true,
	"tr": true, "th": true, "td": true, "section": true, "div": true, "details": true,
	"summary": true, "pre": true, "code": true, "footer": true,
}

var voidElements = map[string]bool{"meta": true, "br": true, "img": true, "link": true, "input": true, "hr": true}

// htmlAttrs are the attributes the html format writes.
var htmlAttrs = map[string]bool{
	"lang": true, "charset": true, "name": true, "content": true, "http-equiv": true,
	"class": true, "id": true, "href": true, "open": true, "aria-label": true,
}

// checkHTML asserts what the html format promises of doc and returns its
// parse tree: well-formed (every element closed, in order, by the
// tokenizer's reading, which is the browser's), only our elements and
// attributes, no script, no link that leaves the page, nothing fetched, no
// control character, valid UTF-8.
func checkHTML(t testing.TB, doc []byte) *html.Node {
	t.Helper()
	if !utf8.Valid(doc) {
		t.Fatal("html: not valid UTF-8")
	}
	for _, r := range string(doc) {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || isBidi(r) {
			t.Fatalf("html: control character %U in the document", r)
		}
	}
	if !bytes.HasPrefix(doc, []byte("<!DOCTYPE html>\n")) {
		t.Fatal("html: no doctype")
	}
	z := html.NewTokenizer(bytes.NewReader(doc))
	var stack []string
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				t.Fatalf("html: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if !htmlElements[tok.Data] {
				t.Fatalf("html: element <%s> that the format does not write", tok.Data)
			}
			for _, a := range tok.Attr {
				if !htmlAttrs[a.Key] || a.Namespace != "" {
					t.Fatalf("html: attribute %s on <%s>", a.Key, tok.Data)
				}
				if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
					t.Fatalf("html: link %q leaves the page", a.Val)
				}
			}
			if tt == html.SelfClosingTagToken || voidElements[tok.Data] {
				continue
			}
			stack = append(stack, tok.Data)
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Fatalf("html: </%s> closes %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		case html.TextToken:
			if len(stack) > 0 && stack[len(stack)-1] == "style" {
				css := strings.ToLower(tok.Data)
				for _, bad := range []string{"url(", "@import", "expression(", "</"} {
					if strings.Contains(css, bad) {
						t.Fatalf("html: style sheet has %q", bad)
					}
				}
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("html: elements left open: %v", stack)
	}
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var csp bool
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Meta && attr(n, "http-equiv") == "Content-Security-Policy" {
			csp = strings.Contains(attr(n, "content"), "default-src 'none'")
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || !htmlElements[n.Data]) {
			t.Fatalf("html: parsed tree has <%s>", n.Data)
		}
	})
	if !csp {
		t.Fatal("html: no Content-Security-Policy forbidding fetches and scripts")
	}
	return root
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// text is the text of n and its descendants.
func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return b.String()
}

func TestHTMLWellFormed(t *testing.T) {
	for _, opts := range []Options{{}, {Verbose: true}, {Summary: true}, {Only: finding.StatusWarn}, {Only: finding.StatusFail, Summary: true}} {
		checkHTML(t, render(t, "html", sampleReport(), opts))
	}
	checkHTML(t, render(t, "html", &check.Report{}, Options{}))
	checkHTML(t, render(t, "html", bulkReport(50), Options{}))
}

// TestHTMLShowsTheReport: per domain a section with its status, per check
// its status and records, per finding its code, message, name and fix, in
// the parsed document as text.
func TestHTMLShowsTheReport(t *testing.T) {
	r := sampleReport()
	root := checkHTML(t, render(t, "html", r, Options{}))
	sections := map[string]*html.Node{}
	walk(root, func(n *html.Node) {
		if n.DataAtom == atom.Section {
			sections[attr(n, "id")] = n
		}
	})
	if len(sections) != len(r.Domains) {
		t.Fatalf("%d sections for %d domains", len(sections), len(r.Domains))
	}
	for _, d := range r.Domains {
		var sec *html.Node
		for _, s := range sections {
			if h2 := first(s, atom.H2); h2 != nil && text(first(h2, atom.Span)) == d.Domain {
				sec = s
			}
		}
		if sec == nil {
			t.Fatalf("no section for %s", d.Domain)
		}
		label := statusLabel(d)
		if !hasClass(sec, "st-"+label) || !strings.Contains(text(first(sec, atom.H2)), label) {
			t.Errorf("%s: section class %q, heading %q, want status %s", d.Domain, attr(sec, "class"), text(first(sec, atom.H2)), label)
		}
		body := text(sec)
		for _, c := range d.Checks {
			if !strings.Contains(body, c.Check) || !strings.Contains(body, string(c.Status)) {
				t.Errorf("%s: check %s (%s) not shown", d.Domain, c.Check, c.Status)
			}
			for _, rec := range c.Records {
				if !strings.Contains(body, printable(rec)) {
					t.Errorf("%s %s: record %q not shown", d.Domain, c.Check, rec)
				}
			}
			for _, f := range c.Findings {
				if f.Severity == finding.Info {
					continue
				}
				for _, s := range []string{f.Code, f.Message, f.Name, f.Fix} {
					if !strings.Contains(body, printable(s)) {
						t.Errorf("%s %s: %q not shown", d.Domain, f.Code, s)
					}
				}
			}
		}
	}
	// Info findings only with Verbose, as in the other formats.
	if bytes.Contains(render(t, "html", r, Options{}), []byte("spf.soft-fail-all")) {
		t.Error("info finding shown without Verbose")
	}
	if !bytes.Contains(render(t, "html", r, Options{Verbose: true}), []byte("spf.soft-fail-all")) {
		t.Error("info finding not shown with Verbose")
	}
}

func first(n *html.Node, a atom.Atom) *html.Node {
	var found *html.Node
	walk(n, func(c *html.Node) {
		if found == nil && c.DataAtom == a && c != n {
			found = c
		}
	})
	return found
}

// TestHTMLFilters: every filter links to an anchor that exists and that
// the style sheet acts on; every index row links to its domain's section;
// IDs are unique; sections and rows carry their status class.
func TestHTMLFilters(t *testing.T) {
	doc := render(t, "html", sampleReport(), Options{})
	root := checkHTML(t, doc)
	ids := map[string]int{}
	var hrefs []string
	rows := 0
	walk(root, func(n *html.Node) {
		if id := attr(n, "id"); id != "" {
			ids[id]++
		}
		if n.DataAtom == atom.A {
			hrefs = append(hrefs, strings.TrimPrefix(attr(n, "href"), "#"))
		}
		if n.DataAtom == atom.Tr && hasClass(n, "row") {
			rows++
		}
	})
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	for _, h := range hrefs {
		if ids[h] != 1 {
			t.Errorf("link to #%s, which is not an element", h)
		}
		if !strings.HasPrefix(h, "d-") && h != "all" && !bytes.Contains(doc, []byte("#"+h+":target~main")) && h != "all" {
			t.Errorf("filter #%s has no :target rule", h)
		}
	}
	if rows != 5 {
		t.Errorf("%d index rows", rows)
	}
	for _, st := range []string{"fail", "error", "warn", "invalid", "pass"} {
		if ids["only-"+st] != 1 {
			t.Errorf("no filter for %s", st)
		}
	}
	if ids["only-skip"] != 0 {
		t.Error("a filter for a status no domain has")
	}
	// A single domain needs neither index nor filters.
	one := &check.Report{Domains: sampleReport().Domains[2:3]}
	out := render(t, "html", one, Options{})
	checkHTML(t, out)
	if bytes.Contains(out, []byte(`class="index"`)) || bytes.Contains(out, []byte(`class="filters"`)) {
		t.Error("one domain with an index or filters")
	}
	if !bytes.Contains(out, []byte("<title>emailauth report: fail.example fail</title>")) {
		t.Error("the title does not name the one domain")
	}
}

// hostile is text a stranger can publish in DNS, aimed at a browser.
var hostileHTML = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`</pre></details></section></main><script>alert(2)</script>`,
	`</style><script>alert(3)</script>`,
	`</title><script>alert(4)</script>`,
	`<!-- <a href="javascript:alert(5)">x</a> -->`,
	`javascript:alert(6)`,
	`<![CDATA[ ]]> &amp; &lt; &#x3c;`,
	"esc\x1b]0;title\x07 nul\x00 bidi\u202eevil\u202c bad\xff utf8 c1\u0085",
}

// TestHTMLHostileValues: every field of a result carries hostile text; the
// document stays well-formed, has no element or attribute of the data's,
// and shows each value as text, escaped.
func TestHTMLHostileValues(t *testing.T) {
	for i, h := range hostileHTML {
		d := &check.DomainResult{Domain: h, Unicode: h, Status: check.StatusFail, Error: h, Checks: []*check.CheckResult{
			{Check: h, Status: check.StatusFail, Records: []string{h, h}, Error: h,
				Findings: finding.List{{Code: h, Severity: finding.Error, Message: h, Fix: h, Name: h}}},
			{Check: "dmarc", Status: check.Status(h), Error: h},
		}}
		r := &check.Report{Domains: []*check.DomainResult{d, {Domain: "ok.example", Status: check.StatusPass}}, Summary: check.Summary{Domains: 2, Fail: 1, Pass: 1}}
		for _, opts := range []Options{{}, {Summary: true}, {Verbose: true}} {
			doc := render(t, "html", r, opts)
			root := checkHTML(t, doc)
			want := oneLine(printable(h))
			if got := text(root); strings.Count(got, want) < 2 {
				t.Errorf("hostile %d (%+v): %q shown %d times", i, opts, want, strings.Count(got, want))
			}
			if strings.Contains(h, "<") && bytes.Contains(doc, []byte(h)) {
				t.Errorf("hostile %d: written unescaped", i)
			}
		}
	}
}

func TestHTMLEmpty(t *testing.T) {
	out := render(t, "html", &check.Report{Schema: check.Schema}, Options{})
	root := checkHTML(t, out)
	if got := text(first(root, atom.Main)); strings.TrimSpace(got) != "No domains were checked." {
		t.Errorf("main of an empty report: %q", got)
	}
}

// TestHTMLOnly: hidden domains have no section and no row, and the page
// says how many were hidden.
func TestHTMLOnly(t *testing.T) {
	out := render(t, "html", sampleReport(), Options{Only: finding.StatusError})
	root := checkHTML(t, out)
	var shown []string
	walk(root, func(n *html.Node) {
		if n.DataAtom == atom.Section {
			shown = append(shown, text(first(n, atom.Span)))
		}
	})
	if strings.Join(shown, " ") != "fail.example servfail.example bad..example" {
		t.Errorf("shown with only error: %v", shown)
	}
	if !bytes.Contains(out, []byte("2 domains less severe than error not shown.")) {
		t.Error("no note of the hidden domains")
	}
	sum := render(t, "html", sampleReport(), Options{Summary: true})
	if bytes.Contains(sum, []byte("<section")) || !bytes.Contains(sum, []byte("<th>First fix</th>")) {
		t.Error("summary: sections written, or no first-fix column")
	}
}

func TestOnlyFlag(t *testing.T) {
	var st finding.Status
	f := OnlyFlag{Only: &st}
	for in, want := range map[string]finding.Status{"warn": finding.StatusWarn, "FAIL": finding.StatusFail, " error ": finding.StatusError, "warning": finding.StatusWarn} {
		if err := f.Set(in); err != nil || st != want || f.String() != string(want) {
			t.Errorf("Set(%q): %v, %q", in, err, st)
		}
	}
	for _, bad := range []string{"pass", "skip", "", "info", "fail,warn"} {
		if err := f.Set(bad); err == nil || !strings.Contains(err.Error(), "warn, error, fail") {
			t.Errorf("Set(%q): %v", bad, err)
		}
	}
	if (OnlyFlag{}).String() != "" || f.Type() != "status" {
		t.Error("String of a nil flag, or Type")
	}
}
