package dkim

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// maxKeyFile bounds what is read as a private key: a 4096-bit RSA key in PEM
// is about 3.3 kB.
const maxKeyFile = 1 << 20

// RecordOptions are the record command's inputs.
type RecordOptions struct {
	recordFlags
	// PrivateKey is the private key file read; "-" is stdin.
	PrivateKey string
}

// NewCmdRecord returns the "dkim record" command.
func NewCmdRecord(f *cmdutil.Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{}
	cmd := &cobra.Command{
		Use:   "record DOMAIN -s SELECTOR -k FILE",
		Short: "Print the record to publish for an existing private key",
		Long: `Derive the DKIM key record of DOMAIN from an existing private key, for a
rotation or to publish a key again. The key may be PKCS#8 PEM ("PRIVATE
KEY"), PKCS#1 PEM ("RSA PRIVATE KEY"), or an Ed25519 seed in base64 (the form
of RFC 8463's examples); --private-key - reads it from stdin. The private key
itself is never printed.

The output is the same as keygen's: the name, the value, a zone-file line
(TTL 3600 unless --ttl says otherwise) with the value split into strings of
at most 255 octets; -q prints the zone-file line alone, -o json gives JSON.`,
		Example: `  emailauth dkim record example.com -s s1 -k s1.example.com.pem
  emailauth dkim record example.com -s s1 -k key.pem --testing -o json
  emailauth dkim record example.com -s s1 -k - -q < key.pem >> example.com.zone`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.recordFlags.validate(f, args); err != nil {
				return err
			}
			if opts.PrivateKey == "" {
				return cmdutil.FlagErrorf("--private-key is required: the private key FILE whose record to print (- for stdin)")
			}
			if runF != nil {
				return runF(opts)
			}
			return recordRun(f, opts)
		},
	}
	opts.recordFlags.add(f, cmd)
	cmd.Flags().StringVarP(&opts.PrivateKey, "private-key", "k", "", "private key `FILE` (PEM, or base64 Ed25519 seed); - reads stdin")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// readPrivateKey reads and parses a private key file ("-": stdin) and
// returns its public half. Errors name the file and never quote its content.
func readPrivateKey(f *cmdutil.Factory, path string) (any, error) {
	var data []byte
	var err error
	name := path
	if path == "-" {
		name = "stdin"
		data, err = io.ReadAll(io.LimitReader(f.IO.In, maxKeyFile+1))
	} else {
		data, err = readKeyFile(path)
		if fi, serr := os.Stat(path); err == nil && serr == nil && fi.Mode().Perm()&0o077 != 0 {
			f.IO.Warnf("%s can be read by other users (mode %04o); a private key should be mode 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
		}
	}
	if err == nil && len(data) > maxKeyFile {
		err = fmt.Errorf("larger than %d octets: not a private key", maxKeyFile)
	}
	if err != nil {
		return nil, cmdutil.BadInputHint(name, fmt.Errorf("cannot read the private key: %w", unwrapPath(err)), "check the path given to --private-key")
	}
	key, err := dkimkey.ParsePrivateKey(data)
	if err != nil {
		return nil, cmdutil.BadInputHint(name, err, "give a private key as PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), PKCS#1 PEM, or a base64 Ed25519 seed; emailauth dkim keygen makes one")
	}
	return key.Public(), nil
}

// readKeyFile reads at most maxKeyFile+1 octets of path: a key file named
// by mistake (a log, a device) is not read whole.
func readKeyFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("is a directory")
	}
	return io.ReadAll(io.LimitReader(fh, maxKeyFile+1))
}

// unwrapPath drops the *PathError wrapper, whose path the caller names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func recordRun(f *cmdutil.Factory, o *RecordOptions) error {
	pub, err := readPrivateKey(f, o.PrivateKey)
	if err != nil {
		return err
	}
	p, err := buildPublication(&o.recordFlags, pub)
	if err != nil {
		return err
	}
	return writePublication(f, p, false)
}
