package dkim

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/rotation"
)

// RotateOptions are the rotate command's inputs.
type RotateOptions struct {
	Domain dns.Domain
	// Selector is the current selector, Next the new one.
	Selector string
	Next     string
	// PrivateKey is the current private key file (optional; "-": stdin);
	// NextKey the new one's: read when it exists, written by --generate
	// when it does not.
	PrivateKey string
	NextKey    string
	Generate   bool
	// Algorithm, Bits and Insecure shape a generated key; the *Set fields
	// say whether the flag was given (else the profile, else keygen's
	// defaults).
	Algorithm    string
	AlgorithmSet bool
	Bits         int
	BitsSet      bool
	Insecure     bool
	// Message is a test message signed by the signer ("-": stdin).
	Message string
	// State is the state file.
	State string
	// Grace and MaxKeyAge, when their flags are given (else the profile,
	// else the defaults).
	Grace        time.Duration
	GraceSet     bool
	MaxKeyAge    time.Duration
	MaxKeyAgeSet bool
	TTL          int
	TTLSet       bool
	Profile      profileopt.Flags
	// Nameservers (--nameserver ADDR) are asked instead of the NS set;
	// NSAddrs (--nameserver NAME=ADDR) give a server's address.
	Nameservers []string
	NSAddrs     map[string][]string

	nameserverArgs []string
}

// NewCmdRotate returns the "dkim rotate" command.
func NewCmdRotate(f *cmdutil.Factory, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{}
	var grace, maxAge string
	cmd := &cobra.Command{
		Use:   "rotate DOMAIN --selector CURRENT --next NEW",
		Short: "Say where a DKIM key rotation stands and what to do next, with the records",
		Long: `Work out, from what each authoritative name server of DOMAIN serves (asked
directly, as "emailauth wait" does), the key files and a test message, which
stage a rotation from selector CURRENT to selector NEW is at, check that
stage's preconditions, and print the next step with the exact records:

  1 publish    generate the new key (--generate) and publish it at NEW,
               beside CURRENT
  2 propagate  wait until every name server serves it, then until
               resolvers can no longer cache the answer they had before (the
               zone's negative-caching TTL, or CURRENT's TTL if longer)
  3 switch     switch the signer to NEW: the platform's action; --message
               FILE, a message signed after the switch, confirms it
  4 revoke     after the grace period (--grace, 7d), publish CURRENT with an
               empty key (p=)
  5 remove     once the revocation has reached every name server and the
               caches, delete CURRENT's record

Run it again after each step; nothing is assumed: a stage is done when its
result is seen. The DNS does not date records, so the waits of stages 2 and
5 are measured from the first run that saw their condition, which --state
FILE records (a small JSON file, written atomically); the grace period
counts from the signature time of the --message. The clock is the system's.

--generate writes the new key as "dkim keygen" does (mode 0600 from
creation, atomically, never over an existing file) to --next-key FILE, or
NEW.DOMAIN.pem in the current directory; when the file exists, its key is
used. It refuses when NEW already publishes a key. --profile gives the key
type and size, the TTL, dkim.rotation_grace and dkim.max_key_age.

Exit codes: 0 the next step can be taken now, or the rotation is complete;
1 a precondition of the stage does not hold (a record missing on a server,
a key that does not match, a wait not over, a test message signed with the
old key: the output says what is missing); 2 bad input; 3 a name server
could not be asked (and nothing failed).`,
		Example: `  # where does the rotation stand? (the first run: generate the key)
  emailauth dkim rotate tenant.example --selector s2026-05 --next s2026-11 --state s2026-11.json
  emailauth dkim rotate tenant.example --selector s2026-05 --next s2026-11 --state s2026-11.json --generate --next-key s2026-11.pem

  # after switching the signer: confirm with a message it signed
  emailauth dkim rotate tenant.example --selector s2026-05 --next s2026-11 --state s2026-11.json --next-key s2026-11.pem --message test.eml

  # the DNS provider's servers, before the delegation is switched
  emailauth dkim rotate tenant.example -s s2026-05 --next s2026-11 --state s2026-11.json --nameserver 198.51.100.53`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			opts.AlgorithmSet, opts.BitsSet, opts.TTLSet = fl.Changed("algorithm"), fl.Changed("bits"), fl.Changed("ttl")
			opts.GraceSet, opts.MaxKeyAgeSet = fl.Changed("grace"), fl.Changed("max-key-age")
			if err := opts.validate(f, args[0], grace, maxAge); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return rotateRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Selector, "selector", "s", "", "the current `selector` (the one the signer uses now)")
	fl.StringVar(&opts.Next, "next", "", "the new `selector` to rotate to")
	fl.StringVarP(&opts.PrivateKey, "private-key", "k", "", "the current private key `FILE` (- for stdin): checked against CURRENT's record, and dates the key")
	fl.StringVar(&opts.NextKey, "next-key", "", "the new private key `FILE`: read when it exists, written by --generate (default NEW.DOMAIN.pem) when it does not")
	fl.BoolVar(&opts.Generate, "generate", false, "generate the new key if --next-key does not exist yet (mode 0600, atomic, never over a file)")
	fl.StringVar(&opts.Algorithm, "algorithm", "rsa", "the generated key's `algorithm`: rsa or ed25519 (default: the profile's key_type, else rsa)")
	fl.IntVar(&opts.Bits, "bits", dkimkey.DefaultRSABits, "the generated RSA key's size: 2048, 3072 or 4096 (1024 with --insecure; default: the profile's min_bits)")
	fl.BoolVar(&opts.Insecure, "insecure", false, "allow generating a 1024-bit RSA key")
	fl.StringVar(&opts.Message, "message", "", "a test message `FILE` signed by the signer after the switch (- for stdin): confirms the switch")
	fl.StringVar(&opts.State, "state", "", "the rotation's state `FILE` (JSON, created if missing): when each wait started")
	fl.StringVar(&grace, "grace", "7d", "how long CURRENT stays after the switch before it is revoked, a `DURATION` such as 7d or 168h (default: the profile's rotation_grace)")
	fl.StringVar(&maxAge, "max-key-age", "180d", "the key age past which a rotation is due, a `DURATION` such as 180d or 26w; 0: not judged (default: the profile's max_key_age)")
	fl.IntVar(&opts.TTL, "ttl", DefaultTTL, "TTL of the zone-file lines printed, in `seconds` (0: the zone's $TTL; default: the profile's ttl)")
	opts.Profile.Add(fl, false)
	fl.StringArrayVar(&opts.nameserverArgs, "nameserver", nil, "ask this server (`ADDR[:PORT]`) instead of the NS set, or give a server's address (NAME=ADDR[:PORT]); repeatable")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func (o *RotateOptions) validate(f *cmdutil.Factory, arg, grace, maxAge string) error {
	d, err := f.Domain("DOMAIN", arg)
	if err != nil {
		return err
	}
	o.Domain = d
	switch {
	case o.Selector == "":
		return cmdutil.FlagErrorf("--selector is required: the selector the signer uses now (the s= of the DKIM-Signature of a message %s sends)", d.ASCII)
	case o.Next == "":
		return cmdutil.FlagErrorf("--next is required: the new selector to rotate to, such as s%s", nowOrZero(f).Format("200601"))
	}
	for _, x := range []struct{ flag, v string }{{"--selector", o.Selector}, {"--next", o.Next}} {
		if err := dkimkey.CheckSelectorName(x.v, d.ASCII); err != nil {
			return cmdutil.BadInputHint(x.flag, err, "a selector is a name such as s2026-11; its record is at SELECTOR._domainkey.DOMAIN")
		}
	}
	o.Selector = strings.ToLower(strings.TrimSuffix(o.Selector, "."))
	o.Next = strings.ToLower(strings.TrimSuffix(o.Next, "."))
	if o.Selector == o.Next {
		return cmdutil.BadInputHint("--next", rotation.ErrSameSelector, "choose a new selector, such as one named after the month: s"+nowOrZero(f).Format("200601"))
	}
	if o.PrivateKey == "-" && o.Message == "-" {
		return cmdutil.FlagErrorf("--private-key - and --message - both read standard input: give one of them as a file")
	}
	if o.NextKey == "-" {
		return cmdutil.FlagErrorf("--next-key must be a file: the new key is read from it, or written to it with --generate")
	}
	if o.Grace, err = dkimkey.ParseAge(grace); err != nil {
		return cmdutil.BadInputHint("--grace", err, "write days (7d), weeks (2w) or hours (168h)")
	}
	if o.MaxKeyAge, err = dkimkey.ParseAge(maxAge); err != nil {
		return cmdutil.BadInputHint("--max-key-age", err, "write days (180d), weeks (26w) or hours (4320h); 0 turns the check off")
	}
	if o.GraceSet && o.Grace <= 0 {
		return cmdutil.FlagErrorf("invalid --grace %s: the old key must stay for a while after the switch (7d by default)", grace)
	}
	if o.TTL < 0 || o.TTL > maxTTL {
		return cmdutil.FlagErrorf("invalid --ttl %d: want 0 to %d seconds (0 leaves the TTL to the zone's $TTL)", o.TTL, maxTTL)
	}
	o.Algorithm = strings.ToLower(o.Algorithm)
	if o.AlgorithmSet || o.BitsSet {
		if o.Algorithm != dkimkey.AlgRSA && o.Algorithm != dkimkey.AlgEd25519 {
			return cmdutil.FlagErrorf("invalid --algorithm %q: want rsa or ed25519", o.Algorithm)
		}
		if o.Algorithm == dkimkey.AlgEd25519 && o.BitsSet {
			return cmdutil.FlagErrorf("--bits applies to RSA keys only; an Ed25519 key has a fixed size")
		}
		if !o.Generate {
			return cmdutil.FlagErrorf("--algorithm and --bits shape the key --generate makes: add --generate, or leave them out")
		}
	}
	return parseNameservers(o, o.nameserverArgs)
}

func nowOrZero(f *cmdutil.Factory) time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

// parseNameservers reads --nameserver, as wait does: an address to ask,
// or NAME=ADDR.
func parseNameservers(o *RotateOptions, values []string) error {
	for _, v := range values {
		name, addr, named := strings.Cut(v, "=")
		if !named {
			addr = v
		}
		a, err := dns.ParseServer(addr)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --nameserver %q: %v", v, strings.TrimPrefix(err.Error(), "dns: "))
		}
		if !named {
			o.Nameservers = append(o.Nameservers, a)
			continue
		}
		n, err := dns.NormalizeName(name)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --nameserver %q: %q is not a host name", v, name)
		}
		if o.NSAddrs == nil {
			o.NSAddrs = map[string][]string{}
		}
		o.NSAddrs[n] = append(o.NSAddrs[n], a)
	}
	return nil
}

// rotateJSON is the JSON of the command: the judgement, and what the run
// did with the files.
type rotateJSON struct {
	*rotation.Result
	NextKeyFile string `json:"next_key_file,omitempty"`
	Generated   bool   `json:"generated"`
	StateFile   string `json:"state_file,omitempty"`

	currentKey, nextKey string // the KeyIDs of the key files
}

func rotateRun(f *cmdutil.Factory, o *RotateOptions) error {
	if f.Global.Offline {
		return cmdutil.FlagErrorf("dkim rotate asks the domain's name servers over the network; --offline forbids it")
	}
	now := nowOrZero(f)
	jopts := rotation.Options{Now: now, Grace: o.Grace, MaxKeyAge: o.MaxKeyAge, TTL: o.TTL}
	alg, bits := o.Algorithm, o.Bits
	loaded, err := profileopt.Load(f, o.Profile)
	if err != nil {
		return err
	}
	if p := loaded.Profile; p != nil {
		req, err := p.For(o.Domain.ASCII, loaded.Tenants, now)
		if err != nil {
			return cmdutil.BadInput("DOMAIN", err)
		}
		jopts.MinBits = req.DKIM.MinBits
		for _, s := range req.DKIM.Selectors {
			jopts.ProfileSelectors = append(jopts.ProfileSelectors, s.Selector)
		}
		if !o.TTLSet {
			jopts.TTL = req.TTL
		}
		if d, ok := p.DKIM.RotationGraceDuration(); ok && !o.GraceSet {
			jopts.Grace = d
		}
		if d, ok := p.DKIM.MaxKeyAgeDuration(); ok && !o.MaxKeyAgeSet {
			jopts.MaxKeyAge = d
		}
		if !o.AlgorithmSet && !o.BitsSet {
			alg, bits = req.DKIM.KeyType, req.DKIM.GeneratedBits()
		}
	}
	if alg == dkimkey.AlgEd25519 {
		bits = 0
	}
	if o.Generate {
		if err := dkimkey.CheckKeySize(alg, bits, o.Insecure); err != nil {
			return cmdutil.BadInputHint("--bits", err, "use --bits 2048, 3072 or 4096")
		}
	}

	// The current key, and its file's date.
	if o.PrivateKey != "" {
		k, err := f.ReadPrivateKey("--private-key", o.PrivateKey)
		if err != nil {
			return err
		}
		jopts.CurrentKey = k.Public()
		if o.PrivateKey != "-" {
			if fi, err := os.Stat(o.PrivateKey); err == nil {
				jopts.CurrentKeyTime = fi.ModTime()
			}
		}
	}
	var state *rotation.State
	if o.State != "" {
		state, err = rotation.ReadState(o.State, o.Domain.ASCII, o.Selector, o.Next)
		if err != nil {
			hint := "give the state file of this rotation, or a new file name"
			if errors.Is(err, rotation.ErrStateMalformed) {
				hint = "a state file is written by dkim rotate --state; give a new file name to start one"
			}
			return cmdutil.BadInputHint("--state "+o.State, err, hint)
		}
		jopts.State = state
	}

	// What the name servers serve, and the test message.
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	client := &dns.AuthClient{Timeout: f.Global.Timeout, Retries: f.Global.Retries, TCP: f.Global.TCP}
	if f.IO.Verbosity >= 2 {
		client.Trace = func(line string) { f.IO.Verbosef(2, "dns: %s", line) }
	}
	oopts := rotation.ObserveOptions{Client: client, NS: dns.NSOptions{Addrs: o.NSAddrs}, Servers: o.Nameservers, Now: now}
	if o.Message != "" {
		in, name, closeFn, err := openMessage(f, o.Message)
		if err != nil {
			return err
		}
		defer closeFn()
		oopts.Message, oopts.MessageName = in, name
	}
	obs, err := rotation.Observe(f.Ctx(), r, o.Domain.ASCII, o.Selector, o.Next, oopts)
	if err != nil {
		var me *rotation.MessageError
		if errors.As(err, &me) {
			return cmdutil.BadInputHint("--message "+o.Message, me.Err, "give one message as received (headers, a blank line, the body)")
		}
		return cmdutil.BadInput("DOMAIN", err)
	}

	// The new key: read, or generated.
	out := &rotateJSON{StateFile: o.State}
	nextPath := o.NextKey
	if nextPath == "" && o.Generate {
		nextPath = o.Next + "." + o.Domain.ASCII + ".pem"
	}
	if nextPath != "" {
		out.NextKeyFile = nextPath
		switch _, statErr := os.Stat(nextPath); {
		case statErr == nil:
			k, err := f.ReadPrivateKey("--next-key", nextPath)
			if err != nil {
				return err
			}
			jopts.NextKey = k.Public()
			if o.Generate {
				f.IO.Notef("%s exists: its key is the new key (not generated again)", nextPath)
			}
		case !errors.Is(statErr, fs.ErrNotExist):
			return cmdutil.BadInput("--next-key "+nextPath, statErr)
		case !o.Generate:
			return cmdutil.BadInputHint("--next-key "+nextPath, errors.New("no such file"), "add --generate to create the new key there, or give the file that holds it")
		default:
			if err := obs.CanGenerate(); err != nil {
				return cmdutil.BadInputHint("--generate", err, "give the key published there with --next-key FILE, or choose another --next")
			}
			if dir := filepath.Dir(nextPath); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return cmdutil.BadInput("--next-key "+nextPath, err)
				}
			}
			k, err := newKeyFile(f, nextPath, alg, bits, false, "give --next-key the file that holds the new key, or remove the file")
			if err != nil {
				return err
			}
			if err := f.Audit(audit.NewKeyGenerated(k.Public(), nextPath, o.Domain.ASCII, o.Next)); err != nil {
				return err
			}
			jopts.NextKey = k.Public()
			out.Generated = true
			f.IO.Notef("wrote the new %s key for %s to %s (mode 0600): install it in the signer when dkim rotate says so, not before", describeKey(alg, keyBits(k.Public())), o.Next, nextPath)
		}
		jopts.NextKeyFile = nextPath
	}
	jopts.Command = rerunCommand(o, nextPath)
	if jopts.CurrentKey != nil {
		out.currentKey = rotation.KeyID(jopts.CurrentKey)
	}
	if jopts.NextKey != nil {
		out.nextKey = rotation.KeyID(jopts.NextKey)
	}

	res := rotation.Judge(obs, jopts)
	out.Result = res
	if o.State != "" && res.StateChanged {
		if err := res.State.Write(o.State); err != nil {
			return cmdutil.BadInput("--state "+o.State, err)
		}
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, out); err != nil {
			return err
		}
	} else {
		writeRotation(f, out, o)
	}
	return f.WithAudit(cmdutil.ExitForStatus(res.Status), f.Audit(rotationStep(res, jopts.NextKey)))
}

// rotationStep is the audit record of a run of dkim rotate: the stage the
// rotation is at, whether its step can be taken (done), must wait, or is
// blocked, and the records it asks to change.
func rotationStep(res *rotation.Result, next crypto.PublicKey) audit.RotationStep {
	ev := audit.RotationStep{Domain: res.Domain, Current: res.Selector, Next: res.Next, Stage: int(res.Stage), Step: res.Stage.String(),
		Outcome: "blocked", Detail: res.Action.Summary}
	if next != nil {
		ev.KeyFingerprint = audit.Fingerprint(next)
	}
	switch {
	case res.Complete || res.Ready:
		ev.Outcome = "done"
	case res.Status == finding.StatusFail:
		ev.Outcome = "blocked"
	default:
		ev.Outcome = "waiting"
	}
	for _, r := range res.Action.Records {
		ev.Records = append(ev.Records, audit.DNSRecord{Name: r.Name, Type: "TXT", TTL: r.TTL, Value: r.Value, Action: r.Change})
	}
	return ev
}

func keyBits(pub crypto.PublicKey) int {
	_, bits := dkimkey.KeyAlgorithm(pub)
	return bits
}

// openMessage opens the test message ("-": standard input).
func openMessage(f *cmdutil.Factory, path string) (io.Reader, string, func(), error) {
	if path == "-" {
		return f.IO.In, "standard input", func() {}, nil
	}
	file, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", nil, cmdutil.BadInputHint("--message "+path, err, "give the test message as a file (- for standard input)")
	}
	if fi, err := file.Stat(); err == nil && fi.IsDir() {
		file.Close()
		return nil, "", nil, cmdutil.BadInput("--message "+path, errors.New("is a directory; give one message"))
	}
	return file, path, func() { file.Close() }, nil
}

// rerunCommand is the command line to run again: what the user gave, but
// --generate, --message and the output flags.
func rerunCommand(o *RotateOptions, nextKey string) string {
	parts := []string{"emailauth", "dkim", "rotate", o.Domain.ASCII, "--selector", o.Selector, "--next", o.Next}
	add := func(flag, v string) {
		if v != "" {
			parts = append(parts, flag, shellQuote(v))
		}
	}
	add("--next-key", nextKey)
	if o.PrivateKey != "-" {
		add("--private-key", o.PrivateKey)
	}
	add("--state", o.State)
	add("--profile", o.Profile.Profile)
	add("--tenants", o.Profile.Tenants)
	if o.GraceSet {
		add("--grace", dkimkey.FormatAge(o.Grace))
	}
	for _, ns := range o.nameserverArgs {
		add("--nameserver", ns)
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes a value for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_./:=@%+-,[]", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeRotation renders the judgement for people. quiet keeps the results:
// the stage line, the records to change, the warnings and errors, and the
// result.
func writeRotation(f *cmdutil.Factory, out *rotateJSON, o *RotateOptions) {
	t := f.IO.Term()
	res := out.Result
	quiet := f.IO.Quiet
	stageLine := fmt.Sprintf("stage %d of 5, %s: %s", res.Stage, res.Stage, stepState(res))
	switch res.Stage {
	case rotation.StageComplete:
		stageLine = "complete"
	case rotation.StageUnknown:
		stageLine = "unknown: the name servers could not be found"
	}
	if quiet {
		t.Printf("%s: %s -> %s: %s\n", o.Domain.Display(), res.Selector, res.Next, stageLine)
		for _, rc := range res.Action.Records {
			t.Printf("%s\n", zoneOrDelete(rc))
		}
		report.WriteFindings(t, res.Findings, "", true)
		t.Printf("Result: %s\n", t.Style(report.StatusStyle(string(res.Status)), string(res.Status)))
		return
	}
	t.Printf("DKIM key rotation of %s: %s -> %s\n\n", o.Domain.Display(), res.Selector, res.Next)
	var rows [][]string
	for _, s := range res.Steps {
		rows = append(rows, []string{fmt.Sprint(int(s.Stage)), s.Title, s.State, s.Detail})
	}
	_ = report.Grid(t, []string{"#", "STEP", "STATE", "DETAIL"}, rows)
	if len(res.Servers) > 0 {
		t.Printf("\n")
		rows = rows[:0]
		for _, s := range res.Servers {
			serial := ""
			if s.Serial != 0 {
				serial = fmt.Sprint(s.Serial)
			}
			state := s.Status
			if s.Error != "" {
				state += ": " + s.Error
			}
			rows = append(rows, []string{s.Label(), s.Address, serial, state, recordCell(s.Current, out.currentKey, "--private-key"), recordCell(s.Next, out.nextKey, out.NextKeyFile)})
		}
		_ = report.Grid(t, []string{"NAME SERVER", "ADDRESS", "SERIAL", "STATUS", res.Selector + " (current)", res.Next + " (new)"}, rows)
	}
	t.Printf("\n")
	if res.Error != "" {
		t.Printf("The name servers could not be found: %s\n", res.Error)
	}
	if a := res.CurrentKeyAge; a != nil {
		line := fmt.Sprintf("The key of %s has been in use for %d days, %s", res.Selector, a.Days, a.Describe())
		if a.MaxDays > 0 {
			line += fmt.Sprintf("; the maximum is %d days", a.MaxDays)
		}
		t.Printf("%s.\n", line)
	}
	for _, x := range []struct {
		what string
		at   *time.Time
	}{{res.Next + " reached every name server", res.Published}, {"The signer switched to " + res.Next, res.Switched}, {res.Selector + " was revoked on every name server", res.Revoked}} {
		if x.at != nil {
			t.Printf("%s at %s.\n", x.what, x.at.Format(time.RFC3339))
		}
	}
	if m := res.Message; m != nil {
		for _, s := range m.Signatures {
			t.Printf("Test message %s: d=%s s=%s: %s", m.File, s.Domain, s.Selector, s.Result)
			if s.Result != "pass" && s.Reason != "" {
				t.Printf(" (%s)", s.Reason)
			}
			if s.Signed != nil {
				t.Printf(", signed %s", s.Signed.Format(time.RFC3339))
			}
			t.Printf("\n")
		}
	}
	if out.StateFile != "" && res.StateChanged {
		t.Printf("State recorded in %s.\n", out.StateFile)
	}
	t.Printf("\n")
	if res.Stage == rotation.StageComplete {
		t.Printf("Done: %s\n", res.Action.Summary)
	} else {
		t.Printf("Next step (%s): %s\n", stageLine, res.Action.Summary)
	}
	for _, rc := range res.Action.Records {
		switch rc.Change {
		case "delete":
			t.Printf("\n  delete the TXT record at %s\n", rc.Name)
		default:
			t.Printf("\n  %s this TXT record:\n    Name:   %s\n    Value:  %s\n  Zone-file line:\n%s\n", rc.Change, rc.Name, rc.Value, rc.ZoneLine)
		}
	}
	if len(res.Action.Commands) > 0 {
		t.Printf("\n")
		for _, c := range res.Action.Commands {
			t.Printf("  then: %s\n", c)
		}
	}
	for _, n := range res.Action.Notes {
		t.Printf("  note: %s\n", n)
	}
	t.Printf("\n")
	report.WriteFindings(t, res.Findings, "", false)
	t.Printf("\nResult: %s\n", t.Style(report.StatusStyle(string(res.Status)), string(res.Status)))
}

func stepState(res *rotation.Result) string {
	for _, s := range res.Steps {
		if s.Stage == res.Stage {
			return s.State
		}
	}
	return ""
}

func zoneOrDelete(rc rotation.RecordChange) string {
	if rc.Change == "delete" {
		return "; delete: " + rc.Name + " TXT"
	}
	return rc.ZoneLine
}

// recordCell describes a selector's record on one server: its state, and
// whether its key is the one of the key file given (want: its KeyID).
func recordCell(rv rotation.RecordView, want, file string) string {
	s := rv.State
	switch rv.State {
	case rotation.RecordKey:
		s = "key (" + describeKey(rv.KeyType, rv.KeyBits) + ")"
		switch {
		case want != "" && rv.Key == want:
			s += ", matches " + file
		case want != "":
			s = "another key (" + describeKey(rv.KeyType, rv.KeyBits) + ")"
		}
	case rotation.RecordBroken, rotation.RecordUnknown:
		if rv.Problem != "" {
			s += ": " + rv.Problem
		}
	}
	if rv.TTL > 0 {
		s += fmt.Sprintf(", TTL %d", rv.TTL)
	}
	return s
}
