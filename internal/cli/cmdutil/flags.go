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
	fs.Var(&deprecatedValue{Value: f.Value, io: io, old: old, name: name}, old, f.Usage)
	alias := fs.Lookup(old)
	alias.NoOptDefVal = f.NoOptDefVal
	alias.DefValue = f.DefValue
	alias.Hidden = true
}

// deprecatedValue sets the new flag's value and warns once.
type deprecatedValue struct {
	pflag.Value
	io        *IOStreams
	old, name string
	warned    bool
}

func (v *deprecatedValue) Set(s string) error {
	if !v.warned {
		v.warned = true
		v.io.DeferWarning(fmt.Sprintf("--%s is deprecated: use --%s instead", v.old, v.name))
	}
	return v.Value.Set(s)
}

// Type returns the type of the aliased flag, so usage reads the same.
func (v *deprecatedValue) Type() string { return v.Value.Type() }
