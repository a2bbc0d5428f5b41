package message

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// messageOut is where sign and arc seal write the message: standard output,
// or --out FILE written atomically (a temporary file beside it, renamed
// over FILE only once whole, so a failure leaves nothing behind and never a
// half-written message).
type messageOut struct {
	io.Writer
	path string   // --out; "" or "-" for standard output
	tmp  *os.File // the temporary file until commit
}

// openMessageOut opens the destination named by --out (path).
func openMessageOut(f *cmdutil.Factory, path string) (*messageOut, error) {
	o := &messageOut{Writer: f.IO.Out, path: path}
	if path == "" || path == "-" {
		return o, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, cmdutil.BadInput("--out "+path, err)
	}
	o.Writer, o.tmp = tmp, tmp
	return o, nil
}

// where names the destination in messages.
func (o *messageOut) where() string {
	if o.path == "" || o.path == "-" {
		return "stdout"
	}
	return o.path
}

// commit renames the finished file into place (mode 0644).
func (o *messageOut) commit() error {
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Chmod(0o644); err != nil {
		return &cmdutil.IncompleteError{Err: fmt.Errorf("writing %s: %w", o.path, err)}
	}
	if err := o.tmp.Close(); err != nil {
		return &cmdutil.IncompleteError{Err: fmt.Errorf("writing %s: %w", o.path, err)}
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		return &cmdutil.IncompleteError{Err: fmt.Errorf("writing %s: %w", o.path, err)}
	}
	o.tmp = nil
	return nil
}

// discard removes the temporary file unless it was committed (deferred).
func (o *messageOut) discard() {
	if o.tmp != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
		o.tmp = nil
	}
}
