package aggregate

import "bytes"

// escapeStrayMarkup escapes every "<" that does not begin a well-formed
// tag, comment, processing instruction, CDATA section or declaration, and
// every "&" that does not begin an entity or character reference, and
// counts them. It only ever turns markup characters into text: it cannot
// create an element, an entity or a DOCTYPE, so the limits on the document
// (DOCTYPE refused, records counted) hold for the repaired document too.
// The work is linear in the size of data.
func escapeStrayMarkup(data []byte) ([]byte, int) {
	var out bytes.Buffer
	out.Grow(len(data) + 64)
	n := 0
	var unclosed map[string]bool
	for i := 0; i < len(data); {
		switch data[i] {
		case '<':
			if end := markupEnd(data, i, &unclosed); end > i {
				out.Write(data[i:end])
				i = end
				continue
			}
			out.WriteString("&lt;")
			n++
			i++
		case '&':
			if end := referenceEnd(data, i); end > i {
				out.Write(data[i:end])
				i = end
				continue
			}
			out.WriteString("&amp;")
			n++
			i++
		default:
			j := i + 1
			for j < len(data) && data[j] != '<' && data[j] != '&' {
				j++
			}
			out.Write(data[i:j])
			i = j
		}
	}
	return out.Bytes(), n
}

// markupEnd returns the index just past the markup that begins at data[i]
// ("<"), or i when none does. unclosed remembers the terminators ("-->",
// "]]>", "?>") already known to be absent from the rest of data, so that
// many unterminated comments cost one scan, not one each.
func markupEnd(data []byte, i int, unclosed *map[string]bool) int {
	rest := data[i:]
	closeAt := func(prefix, suffix string) int {
		if (*unclosed)[suffix] {
			return i
		}
		if k := bytes.Index(rest[len(prefix):], []byte(suffix)); k >= 0 {
			return i + len(prefix) + k + len(suffix)
		}
		if *unclosed == nil {
			*unclosed = map[string]bool{}
		}
		(*unclosed)[suffix] = true
		return i
	}
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return closeAt("<!--", "-->")
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return closeAt("<![CDATA[", "]]>")
	case bytes.HasPrefix(rest, []byte("<?")):
		return closeAt("<?", "?>")
	case bytes.HasPrefix(rest, []byte("<!")):
		// A declaration: kept as markup so that the decoder sees it and
		// refuses the document.
		return i + 2
	}
	j := i + 1
	end := false
	if j < len(data) && data[j] == '/' {
		end = true
		j++
	}
	k := nameEnd(data, j)
	if k == j {
		return i
	}
	j = k
	if end {
		j = skipSpace(data, j)
		if j < len(data) && data[j] == '>' {
			return j + 1
		}
		return i
	}
	for {
		s := skipSpace(data, j)
		if s < len(data) && data[s] == '>' {
			return s + 1
		}
		if s+1 < len(data) && data[s] == '/' && data[s+1] == '>' {
			return s + 2
		}
		if s == j {
			return i // an attribute must follow white space
		}
		// name = "value" or 'value'
		k := nameEnd(data, s)
		if k == s {
			return i
		}
		k = skipSpace(data, k)
		if k >= len(data) || data[k] != '=' {
			return i
		}
		k = skipSpace(data, k+1)
		if k >= len(data) || (data[k] != '"' && data[k] != '\'') {
			return i
		}
		q := data[k]
		v := k + 1
		for v < len(data) && data[v] != q && data[v] != '<' {
			v++
		}
		if v >= len(data) || data[v] != q {
			return i
		}
		j = v + 1
	}
}

// nameEnd returns the index past an XML name beginning at data[j] (letters,
// digits, "_", ":", "-", ".", and any non-ASCII octet; not beginning with a
// digit, "-" or "."), or j.
func nameEnd(data []byte, j int) int {
	k := j
	for k < len(data) {
		c := data[k]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
		other := c >= '0' && c <= '9' || c == '-' || c == '.'
		if !letter && !(other && k > j) {
			break
		}
		k++
	}
	return k
}

func skipSpace(data []byte, j int) int {
	for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
		j++
	}
	return j
}

// referenceEnd returns the index past an entity or character reference
// beginning at data[i] ("&"): "&name;", "&#123;" or "&#x1F;". Otherwise i.
func referenceEnd(data []byte, i int) int {
	j := i + 1
	if j < len(data) && data[j] == '#' {
		j++
		hex := j < len(data) && (data[j] == 'x' || data[j] == 'X')
		if hex {
			j++
		}
		k := j
		for k < len(data) && k-j < 8 && (data[k] >= '0' && data[k] <= '9' || hex && (data[k]|0x20 >= 'a' && data[k]|0x20 <= 'f')) {
			k++
		}
		if k > j && k < len(data) && data[k] == ';' {
			return k + 1
		}
		return i
	}
	k := nameEnd(data, j)
	if k > j && k-j <= 64 && k < len(data) && data[k] == ';' {
		return k + 1
	}
	return i
}
