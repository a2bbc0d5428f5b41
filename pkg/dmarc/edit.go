package dmarc

import "strings"

// editOrder is where a tag that a record lacks is inserted: after the tags
// that come before it here, so that p stays second and the record reads in
// the usual order.
var editOrder = []string{"v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri"}

// Edit returns the text of rec with tags changed and every other tag kept
// as written, in its place: a domain's record gains what a platform needs
// without losing the tags its owner chose. set maps a lower-case tag name
// to its new value; "" removes the tag. A tag rec lacks is inserted after
// the last tag that precedes it in the usual order (v, p, sp, np, psd, t,
// adkim, aspf, pct, rua, ruf, fo). Duplicate tags of a name being set are
// removed.
func Edit(rec *Record, set map[string]string) string {
	rank := func(name string) int {
		for i, n := range editOrder {
			if n == name {
				return i
			}
		}
		return len(editOrder)
	}
	type item struct{ name, text string }
	var out []item
	done := map[string]bool{}
	for _, t := range rec.Tags {
		v, ok := set[t.Name]
		switch {
		case !ok:
			out = append(out, item{t.Name, t.Raw})
		case done[t.Name] || v == "":
			// removed, or a duplicate of a tag already set
		default:
			out = append(out, item{t.Name, t.Name + "=" + v})
		}
		done[t.Name] = true
	}
	var missing []string
	for name, v := range set {
		if !done[name] && v != "" {
			missing = append(missing, name)
		}
	}
	// Insert in the usual order, whatever the map's order.
	for _, name := range editOrder {
		for _, m := range missing {
			if m != name {
				continue
			}
			at := 0
			for i := len(out) - 1; i >= 0; i-- {
				if rank(out[i].name) <= rank(name) {
					at = i + 1
					break
				}
			}
			out = append(out[:at], append([]item{{name, name + "=" + set[name]}}, out[at:]...)...)
		}
	}
	parts := make([]string, len(out))
	for i, it := range out {
		parts[i] = it.text
	}
	return strings.Join(parts, "; ")
}

// AddURIs returns the rua or ruf list uris (as written) with each of add
// appended that it does not already hold (the same address, compared
// without case, whatever its size limit): a platform's report address is
// added, the domain's own are kept.
func AddURIs(uris []URI, add []string) (string, []string) {
	var parts []string
	for _, u := range uris {
		parts = append(parts, u.Raw)
	}
	var added []string
	for _, a := range add {
		a = strings.TrimSpace(a)
		if !strings.Contains(a, ":") && strings.Contains(a, "@") {
			a = "mailto:" + a
		}
		if HasURI(uris, a) || containsFold(added, a) {
			continue
		}
		parts = append(parts, a)
		added = append(added, a)
	}
	return strings.Join(parts, ","), added
}

// HasURI reports whether uris holds the destination want ("mailto:x@y";
// compared without case and without a size limit).
func HasURI(uris []URI, want string) bool {
	w, err := ParseURI(strings.TrimSpace(want))
	if err != nil {
		return false
	}
	for _, u := range uris {
		if strings.EqualFold(u.URI, w.URI) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
