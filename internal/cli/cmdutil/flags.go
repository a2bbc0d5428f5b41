package cmdutil

import (
	"fmt"

	"github.com/spf13/pflag"
)

// DeprecatedAlias adds old as a deprecated spelling of the flag name, which
// must already be defined: both set the same value, and using old prints a
// warning on stderr naming the new spelling (unless -q), once the command
// line has been read (IOStreams.FlushWarnings). The alias is hidden
// from help; docs/cli.md lists every one. Old scripts keep working.
//
// Cobra's own flag deprecation is not used: it prints its notice on the
// command's output stream, which is standard output, where it would corrupt
// JSON.
func DeprecatedAlias(io *IOStreams, fs *pflag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	if f == nil {
		panic(fmt.Sprintf("cmdutil: DeprecatedAlias(%q): no flag --%s", old, name))
	}
	fs.Var(&deprecatedValue{Value: f.Value, io: io, msg: fmt.Sprintf("--%s is deprecated: use --%s instead", old, name)}, old, f.Usage)
	alias := fs.Lookup(old)
	alias.NoOptDefVal = f.NoOptDefVal
	alias.DefValue = f.DefValue
	alias.Hidden = true
}

// Deprecate hides the flag name, which must already be defined, and makes
// using it print "--NAME is deprecated: " and how to do it now (unless -q),
// once the command line has been read. For an old flag that is not a plain
// alias of a new one (a domain that became the positional argument).
func Deprecate(io *IOStreams, fs *pflag.FlagSet, name, how string) {
	f := fs.Lookup(name)
	if f == nil {
		panic(fmt.Sprintf("cmdutil: Deprecate(%q): no such flag", name))
	}
	f.Value = &deprecatedValue{Value: f.Value, io: io, msg: fmt.Sprintf("--%s is deprecated: %s", name, how)}
	f.Hidden = true
}

// deprecatedValue sets the flag's value and warns once.
type deprecatedValue struct {
	pflag.Value
	io     *IOStreams
	msg    string
	warned bool
}

func (v *deprecatedValue) Set(s string) error {
	if !v.warned {
		v.warned = true
		v.io.DeferWarning(v.msg)
	}
	return v.Value.Set(s)
}

// Type returns the type of the aliased flag, so usage reads the same.
func (v *deprecatedValue) Type() string { return v.Value.Type() }
