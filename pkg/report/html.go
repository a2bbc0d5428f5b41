package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// htmlWriter writes one self-contained HTML document that a tenant can open
// in a browser, on a desk or on a phone: a summary at the top with filters
// by status, an index of the domains (when there are several), then per
// domain its checks, each check's records and findings, and each finding's
// fix (the record to publish) in a block ready to copy.
//
// The document has no script and loads nothing: its style is inline, and
// its Content-Security-Policy forbids every fetch and every script, so that
// even a value that got past escaping could do nothing. The filters work
// without JavaScript: each is a link to an empty anchor near the top, and
// the :target rules of the style sheet hide the domains of other statuses.
//
// Every text from the report (DNS records, messages, names) goes through
// html/template, which escapes it for its context, after printable, which
// shows control characters, bidirectional controls and invalid UTF-8 as
// visible escapes, as the terminal formats do. Like markdown, the writer
// keeps the rendered domains (not the results) and writes the document at
// Close, since the summary comes first.
type htmlWriter struct {
	w        io.Writer
	opts     Options
	rows     []htmlRow
	sections []template.HTML
	ids      map[string]bool
	hidden   int
	buf      bytes.Buffer
}

func newHTML(w io.Writer, opts Options) *htmlWriter {
	return &htmlWriter{w: w, opts: opts, ids: map[string]bool{}}
}

// htmlStatuses are the statuses a domain can show, in the order of the
// filters (most severe first). "invalid" is an input that was not a domain.
var htmlStatuses = []string{"fail", "error", "warn", "invalid", "pass", "skip"}

// statusClass is the CSS class of a status label; a label the style sheet
// does not know (a library caller's own) gets st-unknown.
func statusClass(label string) string {
	for _, s := range htmlStatuses {
		if s == label {
			return "st-" + s
		}
	}
	return "st-unknown"
}

// htmlRow is a domain in the index at the top.
type htmlRow struct {
	ID, Domain, Unicode string
	Status, Class, Mark string
	Errors, Warnings    int
	Attention           []htmlRef
	FirstFix            string
}

// htmlRef is a check that needs attention, in the index.
type htmlRef struct{ Name, Status, Class, Mark string }

type htmlDomain struct {
	htmlRow
	Counts string
	Error  string
	Checks []htmlCheck
}

type htmlCheck struct {
	Name, Status, Class, Mark string
	// Line is what the check's summary line shows after its status: the
	// first record, or why it could not complete or was skipped.
	Line     string
	More     int // records beyond the first
	Records  []string
	Error    string
	Open     bool
	Findings []htmlFinding
}

type htmlFinding struct {
	Severity, Class, Mark string
	Code, Message         string
	Name, Fix             string
	Transient             bool
}

// domainID is the fragment that links to a domain's section: "d-" and the
// name when it is a plain host name, else "d-" and its position. IDs stay
// unique.
func (h *htmlWriter) domainID(d *check.DomainResult) string {
	id := ""
	if plainName(d.Domain) && !invalid(d) {
		id = "d-" + strings.ToLower(d.Domain)
	}
	if id == "" || h.ids[id] {
		id = "d-" + strconv.Itoa(len(h.rows)+h.hidden+1)
		for n := 2; h.ids[id]; n++ {
			id = "d-" + strconv.Itoa(len(h.rows)+h.hidden+1) + "-" + strconv.Itoa(n)
		}
	}
	h.ids[id] = true
	return id
}

// plainName reports whether s is made of letters, digits, '-', '_' and '.'
// only, and so reads well in a URL fragment.
func plainName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func severityClass(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "sev-error"
	case finding.Warning:
		return "sev-warning"
	}
	return "sev-info"
}

func (h *htmlWriter) domain(d *check.DomainResult) error {
	if h.opts.hides(d) {
		h.hidden++
		return nil
	}
	label := printable(statusLabel(d))
	n := countFindings(d)
	v := htmlDomain{htmlRow: htmlRow{
		ID: h.domainID(d), Domain: printable(d.Domain), Unicode: printable(d.Unicode),
		Status: label, Class: statusClass(label), Mark: tableMark(label),
		Errors: n.errors, Warnings: n.warnings,
		FirstFix: oneLine(printable(firstFix(d, h.opts.Verbose))),
	}}
	var parts []string
	if n.errors > 0 {
		parts = append(parts, plural(n.errors, "error", "errors"))
	}
	if n.warnings > 0 {
		parts = append(parts, plural(n.warnings, "warning", "warnings"))
	}
	v.Counts = strings.Join(parts, ", ")
	v.Error = printable(d.Error)
	for _, c := range d.Checks {
		st := printable(checkLabel(c))
		switch c.Status {
		case check.StatusFail, check.StatusWarn, check.StatusError:
			v.Attention = append(v.Attention, htmlRef{Name: printable(c.Check), Status: st, Class: statusClass(st), Mark: tableMark(st)})
		}
		hc := htmlCheck{Name: printable(c.Check), Status: st, Class: statusClass(st), Mark: tableMark(st), Error: printable(c.Error)}
		for _, r := range c.Records {
			hc.Records = append(hc.Records, printable(r))
		}
		switch {
		case len(c.Records) > 0:
			hc.Line, hc.More = oneLine(hc.Records[0]), len(c.Records)-1
		case c.Error != "":
			hc.Line = oneLine(hc.Error)
		}
		for _, f := range c.Findings {
			if !shown(f, h.opts.Verbose) {
				continue
			}
			mark, _ := severityMark(f)
			hc.Findings = append(hc.Findings, htmlFinding{
				Severity: f.Severity.String(), Class: severityClass(f.Severity), Mark: mark,
				Code: printable(f.Code), Message: printable(f.Message),
				Name: printable(f.Name), Fix: strings.TrimRight(printable(strings.ReplaceAll(f.Fix, "\r\n", "\n")), "\n"),
				Transient: f.Transient,
			})
		}
		hc.Open = len(hc.Findings) > 0 || c.Status == check.StatusError || c.Status == check.StatusFail || c.Status == check.StatusWarn
		v.Checks = append(v.Checks, hc)
	}
	h.rows = append(h.rows, v.htmlRow)
	if h.opts.Summary {
		return nil
	}
	h.buf.Reset()
	if err := htmlTemplates().ExecuteTemplate(&h.buf, "domain", v); err != nil {
		return err
	}
	// The section is HTML that the template escaped: the page writes it as
	// it is.
	h.sections = append(h.sections, template.HTML(h.buf.String()))
	return nil
}

// firstFix is what a domain's summary line says to do first: the fix of its
// most severe finding shown (the first such in check order), else that
// finding's message, else why a check could not complete; "" when nothing
// needs doing.
func firstFix(d *check.DomainResult, verbose bool) string {
	if invalid(d) {
		return d.Error
	}
	var best *finding.Finding
	for _, c := range d.Checks {
		for i := range c.Findings {
			f := &c.Findings[i]
			if f.Severity == finding.Info || !shown(*f, verbose) {
				continue
			}
			switch {
			case best == nil,
				f.Severity > best.Severity,
				f.Severity == best.Severity && best.Fix == "" && f.Fix != "":
				best = f
			}
		}
	}
	if best != nil {
		if best.Fix != "" {
			return best.Fix
		}
		return best.Message
	}
	for _, c := range d.Checks {
		if c.Status == check.StatusError && c.Error != "" {
			return c.Error
		}
	}
	return d.Error
}

// htmlPage is what the page template needs.
type htmlPage struct {
	Title    string
	Summary  string
	Hidden   string
	Filters  []htmlFilter
	Many     bool
	SummaryM bool // Options.Summary: the index only
	Rows     []htmlRow
	Sections []template.HTML
	CSS      template.CSS
}

type htmlFilter struct {
	ID, Label, Class, Mark string
	Count                  int
}

func (h *htmlWriter) close(s check.Summary) error {
	p := htmlPage{
		Summary:  summaryLine(s),
		Many:     len(h.rows) > 1 || h.opts.Summary && len(h.rows) > 0,
		SummaryM: h.opts.Summary,
		Rows:     h.rows,
		Sections: h.sections,
		CSS:      template.CSS(htmlCSS()),
	}
	switch {
	case len(h.rows) == 1 && h.hidden == 0:
		p.Title = "emailauth report: " + h.rows[0].Domain + " " + h.rows[0].Status
	default:
		p.Title = "emailauth report: " + summaryLine(s)
	}
	if h.hidden > 0 {
		p.Hidden = hiddenNote(h.hidden, h.opts.Only) + "."
	}
	count := map[string]int{}
	for _, r := range h.rows {
		count[r.Status]++
	}
	attention := count["fail"] + count["error"] + count["warn"] + count["invalid"]
	p.Filters = append(p.Filters,
		htmlFilter{ID: "all", Label: "All", Class: "st-all", Count: len(h.rows)},
		htmlFilter{ID: "attention", Label: "Needs attention", Class: "st-attention", Count: attention})
	for _, st := range htmlStatuses {
		if count[st] > 0 {
			p.Filters = append(p.Filters, htmlFilter{ID: "only-" + st, Label: st, Class: statusClass(st), Mark: tableMark(st), Count: count[st]})
		}
	}
	var b bytes.Buffer
	if err := htmlTemplates().ExecuteTemplate(&b, "page", p); err != nil {
		return err
	}
	_, err := h.w.Write(b.Bytes())
	return err
}

// htmlCSS is the whole style sheet. The filters: a link to #only-fail makes
// the empty anchor with that id the :target, and the rules below hide the
// domains (sections and index rows) of the other statuses.
var htmlCSS = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString(htmlBaseCSS)
	for _, st := range htmlStatuses {
		fmt.Fprintf(&b, "#only-%[1]s:target~main .dom:not(.st-%[1]s),#only-%[1]s:target~main tr.row:not(.st-%[1]s){display:none}\n", st)
		fmt.Fprintf(&b, "#only-%[1]s:target~header a[href=\"#only-%[1]s\"]{outline:2px solid currentColor}\n", st)
	}
	b.WriteString("#attention:target~main .dom.st-pass,#attention:target~main .dom.st-skip,#attention:target~main tr.row.st-pass,#attention:target~main tr.row.st-skip{display:none}\n")
	b.WriteString("#attention:target~header a[href=\"#attention\"],#all:target~header a[href=\"#all\"]{outline:2px solid currentColor}\n")
	return b.String()
})

const htmlBaseCSS = `:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa;
--pass:#1a7f37;--pass-bg:#dafbe1;--warn:#9a6700;--warn-bg:#fff8c5;--fail:#cf222e;--fail-bg:#ffebe9;
--error:#8250df;--error-bg:#fbefff;--skip:#59636e;--skip-bg:#eff2f5}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#151b23;
--pass:#3fb950;--pass-bg:#12261e;--warn:#d29922;--warn-bg:#272115;--fail:#f85149;--fail-bg:#25171c;
--error:#ab7df8;--error-bg:#211a2f;--skip:#9198a1;--skip-bg:#1c2128}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:72rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
.anchor{display:block;height:0;overflow:hidden}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.25rem;margin:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:baseline}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.875rem}
pre{margin:.25rem 0;padding:.5rem .75rem;background:var(--code);border:1px solid var(--line);border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}
code{overflow-wrap:anywhere}
.summary{font-weight:600;margin:.25rem 0}
.muted,.unicode{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0 1rem;padding:0;list-style:none}
.filters a{display:inline-block;padding:.25rem .75rem;border:1px solid var(--line);border-radius:2rem;text-decoration:none;color:var(--fg);white-space:nowrap}
.filters a b{margin-left:.25rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.8125rem;font-weight:600;white-space:nowrap;border:1px solid currentColor}
.st-pass{--c:var(--pass);--cb:var(--pass-bg)}.st-warn{--c:var(--warn);--cb:var(--warn-bg)}
.st-fail,.st-invalid{--c:var(--fail);--cb:var(--fail-bg)}.st-error{--c:var(--error);--cb:var(--error-bg)}
.st-skip,.st-unknown{--c:var(--skip);--cb:var(--skip-bg)}
.badge,.filters a.st-pass,.filters a.st-warn,.filters a.st-fail,.filters a.st-invalid,.filters a.st-error,.filters a.st-skip{color:var(--c);background:var(--cb)}
.index{width:100%;border-collapse:collapse;margin:0 0 1.5rem}
.index th,.index td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.index th{font-size:.8125rem;color:var(--muted);font-weight:600}
.index .num{text-align:right}
.index .fix{max-width:28rem}
.dom{border:1px solid var(--line);border-left:6px solid var(--c);border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem}
.dom>p{margin:.25rem 0}
.check{border-top:1px solid var(--line);padding:.25rem 0}
.check summary{cursor:pointer;display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:baseline;padding:.25rem 0;list-style:none}
.check summary::-webkit-details-marker{display:none}
.check summary::before{content:"▸";color:var(--muted);width:.75rem}
.check details[open]>summary::before{content:"▾"}
.check summary .name{font-weight:600;min-width:4.5rem}
.check summary .line{flex:1 1 12rem;min-width:0;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.check .body{padding:0 0 .5rem 1rem}
.label{font-size:.8125rem;font-weight:600;color:var(--muted);margin:.5rem 0 0}
.findings{list-style:none;margin:.25rem 0;padding:0}
.findings li{border-left:3px solid var(--c);padding:.25rem 0 .25rem .75rem;margin:.5rem 0}
.sev-error{--c:var(--fail)}.sev-warning{--c:var(--warn)}.sev-info{--c:var(--skip)}
.sev{font-weight:600;color:var(--c)}
.findings p{margin:.125rem 0}
.msg{white-space:pre-line}
footer{margin:2rem 0 0;font-size:.8125rem;color:var(--muted)}
@media (max-width:40rem){body{padding:.75rem}
.index thead{display:none}.index tr{display:block;border-bottom:1px solid var(--line);padding:.375rem 0}
.index td{display:inline-block;border:0;padding:.125rem .5rem .125rem 0}.index td.num{display:none}.index td.fix{display:block;max-width:none}
.dom{padding:.5rem .75rem}.check .body{padding-left:.25rem}}
@media print{.filters,.anchor{display:none}.dom{break-inside:avoid-page}details:not([open])>*:not(summary){display:block}}
`

// htmlTemplates are parsed on first use, not at start-up: every command
// would otherwise pay for them (0.4 ms and 60 KB before main).
var htmlTemplates = sync.OnceValue(func() *template.Template { return template.Must(template.New("html").Parse(htmlSource)) })

const htmlSource = `
{{- define "page" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="emailauth">
<title>{{.Title}}</title>
<style>
{{.CSS}}</style>
</head>
<body>
{{- range .Filters}}
<span class="anchor" id="{{.ID}}"></span>
{{- end}}
<header>
<h1>Email authentication report</h1>
<p class="summary">{{.Summary}}</p>
{{- if .Hidden}}
<p class="muted">{{.Hidden}}</p>
{{- end}}
{{- if .Many}}
<nav aria-label="Show domains by status">
<ul class="filters">
{{- range .Filters}}
<li><a class="{{.Class}}" href="#{{.ID}}">{{if .Mark}}{{.Mark}} {{end}}{{.Label}} <b>{{.Count}}</b></a></li>
{{- end}}
</ul>
</nav>
{{- end}}
</header>
<main>
{{- if .Many}}
<table class="index">
<thead><tr><th>Domain</th><th>Status</th><th class="num">Errors</th><th class="num">Warnings</th><th>Checks to look at</th>{{if .SummaryM}}<th>First fix</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr class="row {{.Class}}"><td>{{if $.SummaryM}}{{.Domain}}{{else}}<a href="#{{.ID}}">{{.Domain}}</a>{{end}}{{if .Unicode}} <span class="unicode">{{.Unicode}}</span>{{end}}</td><td><span class="badge">{{.Mark}} {{.Status}}</span></td><td class="num">{{.Errors}}</td><td class="num">{{.Warnings}}</td><td>
{{- range $i, $c := .Attention}}{{if $i}}, {{end}}<span class="{{$c.Class}}"><span class="badge">{{$c.Mark}} {{$c.Name}}</span></span>{{end -}}
</td>{{if $.SummaryM}}<td class="fix">{{if .FirstFix}}<code>{{.FirstFix}}</code>{{end}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- else if not .Rows}}
<p>No domains were checked.</p>
{{- end}}
{{- range .Sections}}
{{.}}
{{- end}}
</main>
<footer>
<p>Statuses: ✓ pass, ! warn, ✗ fail, ? error (could not complete: try again later), - skip. Each finding's code is explained by <code>emailauth explain CODE</code>. Text from DNS is shown as published; control characters appear as \x1b or \u{202e}.</p>
</footer>
</body>
</html>
{{end -}}

{{- define "domain" -}}
<section class="dom {{.Class}}" id="{{.ID}}">
<h2><span>{{.Domain}}</span>{{if .Unicode}} <span class="unicode">{{.Unicode}}</span>{{end}} <span class="badge">{{.Mark}} {{.Status}}</span></h2>
{{- if .Counts}}
<p class="muted">{{.Counts}}</p>
{{- end}}
{{- if .Error}}
<p>{{if eq .Status "invalid"}}Not checked: {{end}}{{.Error}}</p>
{{- end}}
{{- range .Checks}}
<div class="check {{.Class}}">
<details{{if .Open}} open{{end}}>
<summary><span class="badge">{{.Mark}} {{.Status}}</span> <span class="name">{{.Name}}</span> <span class="line">{{.Line}}{{if .More}} (+{{.More}} more){{end}}</span></summary>
<div class="body">
{{- if .Records}}
<p class="label">{{if eq (len .Records) 1}}Record{{else}}Records{{end}}</p>
{{- range .Records}}
<pre>{{.}}</pre>
{{- end}}
{{- end}}
{{- if and .Error .Records}}
<p>{{.Error}}</p>
{{- else if and .Error (not .Records)}}
<p class="label">{{if eq .Status "skip"}}Skipped{{else if eq .Status "error"}}Could not complete{{else}}Note{{end}}</p>
<p>{{.Error}}</p>
{{- end}}
{{- if .Findings}}
<ul class="findings">
{{- range .Findings}}
<li class="{{.Class}}">
<p><span class="sev">{{.Mark}} {{.Severity}}</span> <code>{{.Code}}</code>{{if .Transient}} <span class="muted">(could not find out)</span>{{end}}</p>
<p class="msg">{{.Message}}</p>
{{- if .Name}}
<p class="muted">at <code>{{.Name}}</code></p>
{{- end}}
{{- if .Fix}}
<p class="label">Fix</p>
<pre class="fix">{{.Fix}}</pre>
{{- end}}
</li>
{{- end}}
</ul>
{{- end}}
</div>
</details>
</div>
{{- end}}
</section>
{{- end}}
`
