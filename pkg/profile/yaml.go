package profile

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// This file decodes profile and tenants files strictly: every key known
// (an unknown one is an error naming the file, the line and the nearest
// known key), every value of the right type, no key given twice. It walks
// the YAML node tree against the Go types by their yaml tags, rather than
// letting yaml.v3's KnownFields decoder do it, because that decoder names
// neither the nearest key nor, for a wrong type, the key.

// Error is a malformed profile or tenants file: File and Line say where,
// Key which key (as a dotted path), Hint how to fix it when that is known.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Hint string
	// Err is the cause, when there is one (a file that cannot be opened:
	// errors.Is(err, fs.ErrNotExist)).
	Err error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("profile: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// HintText says how to fix the file, when that is known (the CLI prints it
// on a "hint:" line).
func (e *Error) HintText() string { return e.Hint }

// nodeDecoder is a type that decodes itself from a node.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, key string) error
}

type decoder struct {
	file string
}

func (d *decoder) errf(n *yaml.Node, key, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("the value %q", abbreviate(n.Value, 40))
	}
	return "a value"
}

func abbreviate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

var nodeDecoderType = reflect.TypeOf((*nodeDecoder)(nil)).Elem()

// decode fills v from n. key is the dotted path of n, for errors.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) error {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		return v.Addr().Interface().(nodeDecoder).decodeNode(d, n, key)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(n, v.Elem(), key)
	case reflect.Struct:
		return d.decodeStruct(n, v, key)
	case reflect.Slice:
		if isNull(n) {
			return nil
		}
		if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
			// One string where a list of strings is expected.
			v.Set(reflect.Append(v, reflect.ValueOf(n.Value).Convert(v.Type().Elem())))
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, key, "want a list, got %s", kindName(n))
		}
		for i, c := range n.Content {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(c, e, fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
		}
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode || isNull(n) {
			return d.errf(n, key, "want a string, got %s", kindName(n))
		}
		v.SetString(n.Value)
		return nil
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, key, "want a whole number, got %s", kindName(n))
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			return d.errf(n, key, "want a whole number, got %s", kindName(n))
		}
		v.SetInt(int64(i))
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, key, "want true or false, got %s", kindName(n))
		}
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			return d.errf(n, key, "want true or false, got %s", kindName(n))
		}
		return nil
	}
	return d.errf(n, key, "internal error: cannot decode into %s", v.Type())
}

// fieldCache holds fields' results by type: a tenants file decodes the
// same few types ten thousand times.
var fieldCache sync.Map

type cachedFields struct {
	names       map[string]int
	line, lines int
}

// fields returns the yaml names of a struct type's fields, the index of
// its Line field and of its Lines field (-1 when it has none). Line gets
// the line of the mapping, Lines the line of each key.
func fields(t reflect.Type) (names map[string]int, line, lines int) {
	if c, ok := fieldCache.Load(t); ok {
		f := c.(cachedFields)
		return f.names, f.line, f.lines
	}
	defer func() { fieldCache.Store(t, cachedFields{names, line, lines}) }()
	names = map[string]int{}
	line, lines = -1, -1
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case tag == "-" && f.Name == "Line" && f.Type.Kind() == reflect.Int:
			line = i
		case tag == "-" && f.Name == "Lines" && f.Type == reflect.TypeOf(map[string]int{}):
			lines = i
		case tag != "" && tag != "-" && f.IsExported():
			names[tag] = i
		}
	}
	return names, line, lines
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) error {
	names, lineField, linesField := fields(v.Type())
	if lineField >= 0 {
		v.Field(lineField).SetInt(int64(n.Line))
	}
	var keyLines map[string]int
	if linesField >= 0 {
		if v.Field(linesField).IsNil() {
			v.Field(linesField).Set(reflect.ValueOf(map[string]int{}))
		}
		keyLines = v.Field(linesField).Interface().(map[string]int)
	}
	if isNull(n) {
		return nil
	}
	if idx, ok := names["level"]; ok && n.Kind == yaml.ScalarNode {
		// "mta_sts: advisory" is short for "mta_sts: {level: advisory}".
		return d.decode(n, v.Field(idx), join(key, "level"))
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(n, key, "want a mapping of keys to values, got %s", kindName(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || k.Value == "<<" {
			// A YAML merge key (<<: *defaults): its mapping's keys first.
			m := resolve(val)
			if m == nil || m.Kind != yaml.MappingNode {
				return d.errf(k, key, "a merge key (<<) needs an alias of a mapping")
			}
			if err := d.decodeStruct(m, v, key); err != nil {
				return err
			}
			continue
		}
		idx, ok := names[k.Value]
		if !ok {
			known := make([]string, 0, len(names))
			for name := range names {
				known = append(known, name)
			}
			sort.Strings(known)
			e := d.errf(k, join(key, k.Value), "unknown key")
			e.Hint = "known keys here: " + strings.Join(known, ", ")
			if near := finding.NearestCodes(k.Value, known, 1); len(near) > 0 {
				e.Hint = fmt.Sprintf("did you mean %q? %s", near[0], e.Hint)
			}
			return e
		}
		if prev, dup := seen[k.Value]; dup {
			return d.errf(k, join(key, k.Value), "given twice (first on line %d)", prev)
		}
		seen[k.Value] = k.Line
		if keyLines != nil {
			keyLines[k.Value] = k.Line
		}
		if err := d.decode(val, v.Field(idx), join(key, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// Parse helpers shared by the custom types.

// mappingPairs returns the key and value nodes of a mapping, refusing
// duplicate keys.
func (d *decoder) mappingPairs(n *yaml.Node, key string) ([][2]*yaml.Node, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.errf(n, key, "want a mapping, got %s", kindName(n))
	}
	var out [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errf(k, key, "a key must be a single value, got %s", kindName(k))
		}
		if prev, dup := seen[k.Value]; dup {
			return nil, d.errf(k, join(key, k.Value), "given twice (first on line %d)", prev)
		}
		seen[k.Value] = k.Line
		out = append(out, [2]*yaml.Node{k, resolve(n.Content[i+1])})
	}
	return out, nil
}

// lineOf returns the line of key in lines, else fallback.
func lineOf(lines map[string]int, key string, fallback int) int {
	if l, ok := lines[key]; ok {
		return l
	}
	return fallback
}
