package cmdutil

import (
	"fmt"

	"github.com/spf13/pflag"
)

// DeprecatedAlias adds old as a deprecated spelling of the flag name, which
// must already be defined: both set the same value, and using old prints
// Cobra's deprecation notice naming the new spelling. Old scripts keep
// working; docs/cli.md lists every such alias.
func DeprecatedAlias(fs *pflag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	if f == nil {
		panic(fmt.Sprintf("cmdutil: DeprecatedAlias(%q): no flag --%s", old, name))
	}
	fs.Var(f.Value, old, f.Usage)
	alias := fs.Lookup(old)
	alias.NoOptDefVal = f.NoOptDefVal
	alias.DefValue = f.DefValue
	_ = fs.MarkDeprecated(old, "use --"+name+" instead")
}
