package failure

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// The plain-text failure reports some receivers send without an ARF part
// (Exim's DMARC module, for one) read:
//
//	A message claiming to be from you has failed the published DMARC
//	policy for your domain.
//
//	  Sender Domain: example.com
//	  Sender IP Address: 203.0.113.68
//	  Received date: Mon, 07 Apr 2025 23:16:09 +0200
//	  SPF Alignment: no
//	  DKIM Alignment: no
//	  DMARC Results: None, Accept
//
//	------ This is a copy of the headers that were received before the error was detected.
//
//	Received: ...
//
// They are recognized by their opening sentence, or by a "Sender Domain:"
// and a "Sender IP Address:" line.

var textMarkers = [][]byte{[]byte("failed the published DMARC policy"), []byte("has failed DMARC")}

func isTextReport(body []byte) bool {
	for _, m := range textMarkers {
		if bytes.Contains(body, m) {
			return true
		}
	}
	return bytes.Contains(body, []byte("Sender Domain:")) && bytes.Contains(body, []byte("Sender IP Address:"))
}

// headersMarker begins the copy of the original header in the text.
var headersMarker = []byte("This is a copy of the headers")

func parseText(u *mailreport.Unpacker, name string, m *mailreport.Message, rep *Report, opts Options) error {
	var body []byte
	for _, p := range m.Parts {
		if p.MediaType == "text/plain" && isTextReport(p.Body) {
			body = p.Body
			break
		}
	}
	u.Warn(name, mailreport.QuirkNoARFPart, "a plain-text failure report without a message/feedback-report part (RFC 5965); read from its \"Name: value\" lines")
	rep.FeedbackType = "auth-failure"
	rep.Incidents = 1
	intro, headers, found := bytes.Cut(body, headersMarker)
	var fields []Field
	for _, line := range strings.Split(string(intro), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.ContainsAny(k, "<>") || len(k) > 40 || strings.TrimSpace(v) == "" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		fields = append(fields, Field{Name: k, Value: v})
		if len(fields) >= maxFields {
			break
		}
		switch strings.ToLower(k) {
		case "sender domain":
			rep.ReportedDomain = strings.ToLower(strings.TrimSuffix(v, "."))
		case "sender ip address":
			if ip, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
				rep.SourceIP = ip.Unmap().String()
			}
		case "received date":
			if d, err := mail.ParseDate(v); err == nil {
				rep.ArrivalDate = d.UTC()
			}
		case "spf alignment":
			if yes(v) {
				rep.IdentityAlignment = appendWords(rep.IdentityAlignment, "spf")
			}
		case "dkim alignment":
			if yes(v) {
				rep.IdentityAlignment = appendWords(rep.IdentityAlignment, "dkim")
			}
		case "dmarc results":
			// "None, Accept": the policy applied and what was done.
			rep.AuthFailure = appendWords(rep.AuthFailure, "dmarc")
			if _, action, ok := strings.Cut(v, ","); ok {
				rep.DeliveryResult = deliveryOf(strings.TrimSpace(action))
			}
		}
	}
	if len(rep.IdentityAlignment) == 0 && hasField(fields, "SPF Alignment") && hasField(fields, "DKIM Alignment") {
		rep.IdentityAlignment = []string{"none"}
	}
	if rep.ReportedDomain == "" && rep.SourceIP == "" {
		return fmt.Errorf("failure: %s: a plain-text failure report without \"Sender Domain:\" or \"Sender IP Address:\"", name)
	}
	if rep.Personal != nil {
		rep.Personal.Fields = fields
	}
	if found {
		// Skip the rest of the marker line, then read the header copy.
		if i := bytes.IndexByte(headers, '\n'); i >= 0 {
			headers = headers[i+1:]
		}
		readOriginal(rep, headers, "headers", opts.ShowHeaders)
	}
	return nil
}

func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "pass", "true", "aligned":
		return true
	}
	return false
}

// deliveryOf maps the action words of plain-text reports onto RFC 6591
// delivery results.
func deliveryOf(action string) string {
	switch strings.ToLower(action) {
	case "accept", "accepted", "delivered":
		return "delivered"
	case "reject", "rejected":
		return "reject"
	case "quarantine", "quarantined", "spam", "junk":
		return "spam"
	}
	return strings.ToLower(action)
}
