package message

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// ARCVerifyOptions are the arc verify command's inputs.
type ARCVerifyOptions struct {
	Inputs      []string // files, directories, mboxes; "-" is stdin
	MinRSABits  int
	At          time.Time // check x= at this time; now when zero
	Concurrency int
}

// ARCMessageReport is the validation of one message's chain: the JSON
// contract of "arc verify -o json".
type ARCMessageReport struct {
	Source string `json:"source"`
	// Status is judged from the findings (finding.Judge): pass (a passing
	// chain, or none), fail, error (a key could not be fetched); or
	// "error" with Result "error" for an input that is not a readable
	// message.
	Status finding.Status `json:"status"`
	// Result is the chain result: none, pass, fail, temperror; or error
	// (not a readable message).
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Chain is the whole validation: every set, its seal and message
	// signature.
	Chain    *arc.Result  `json:"chain,omitempty"`
	Findings finding.List `json:"findings"`
}

// ARCSummary counts the messages of a run by chain result.
type ARCSummary = MessageCounts

// ARCVerifyReport is the whole output of "arc verify -o json".
type ARCVerifyReport struct {
	Messages []*ARCMessageReport `json:"messages"`
	Summary  ARCSummary          `json:"summary"`
}

func newCmdARCVerify(f *cmdutil.Factory, runF func(*ARCVerifyOptions) error) *cobra.Command {
	opts := &ARCVerifyOptions{}
	var at string
	cmd := &cobra.Command{
		Use:   "verify [MESSAGE|DIR|MBOX...]",
		Short: "Validate the ARC chain of messages, set by set",
		Long: `Validate the ARC chain of each message (RFC 8617 §5.2) and show it set by set:
the instance, the cv= its sealer wrote, the sealer (d=), its ARC-Seal and
ARC-Message-Signature results with their keys, and what the sealer recorded
in its ARC-Authentication-Results.

The chain result is one of:

  none       no ARC header field: no intermediary sealed the message
  pass       every seal verifies, the newest message signature verifies, and
             the cv= values are in order; oldest-pass names the oldest set
             whose message signature still verifies when an older one broke
             (as it does when a mailing list adds a footer)
  fail       the set named broke the chain, and why: a missing or duplicated
             field, cv= out of sequence or cv=fail upstream, a seal or the
             newest message signature not verifying, a key missing, revoked
             or under 1024 bits, rsa-sha1
  temperror  a sealer's key could not be fetched (DNS timeout, SERVFAIL);
             RFC 8617 knows only none, pass and fail: retry

Findings are those of the arc.* catalogue ('emailauth explain arc.ams-fail').
Keys are fetched through the resolver, so --zone and --offline work. Several
files, directories (walked) or mbox files can be given, verified
concurrently (-j); with no argument, or "-", the message is read from stdin.
Everything taken from a message is shown escaped.

'emailauth verify' validates the chain too, beside DKIM, SPF and DMARC, and
writes it as arc= in its Authentication-Results.

-q prints one line per message: its chain result and, when it does not pass,
why. -o json gives every detail.

Exit 0 when every chain passes or there is none, 1 when one fails, 2 when a
message cannot be read, 3 when a key could not be fetched and nothing failed.`,
		Example: `  emailauth arc verify forwarded.eml
  emailauth arc verify -o json forwarded.eml
  emailauth arc verify --offline --zone sealers.zone -q inbox/
  emailauth arc seal -k arc.pem -d lists.example.org -s arc1 --authserv-id mx.lists.example.org msg.eml | emailauth arc verify -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if len(opts.Inputs) == 0 {
				opts.Inputs = []string{"-"}
			}
			if at != "" {
				t, err := parseTime(at)
				if err != nil {
					return cmdutil.BadInput("--time", err)
				}
				opts.At = t
			}
			if opts.MinRSABits < 1024 {
				return cmdutil.FlagErrorf("--min-rsa-bits %d: at least 1024 (RFC 8301)", opts.MinRSABits)
			}
			if opts.Concurrency < 1 {
				return cmdutil.FlagErrorf("invalid --concurrency %d: at least 1", opts.Concurrency)
			}
			if runF != nil {
				return runF(opts)
			}
			return runARCVerify(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.MinRSABits, "min-rsa-bits", 1024, "smallest RSA key trusted; a smaller key fails the chain")
	fl.StringVar(&at, "time", "", "check the newest message signature's expiration (x=) as of this `TIME` (Unix seconds or RFC 3339)")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 4*runtime.GOMAXPROCS(0), "messages validated at once")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runARCVerify(f *cmdutil.Factory, opts *ARCVerifyOptions) error {
	res, err := f.Resolver()
	if err != nil {
		return err
	}
	now := f.Now
	if !opts.At.IsZero() {
		now = func() time.Time { return opts.At }
	}
	v := arc.NewValidator(res, arc.ValidateOptions{Now: now, MinRSABits: opts.MinRSABits})

	reports, firstErr := eachMessage(opts.Inputs, f.IO.In, opts.Concurrency, func(j *job) (*ARCMessageReport, error) {
		return validateOne(f, v, j)
	})

	if len(reports) == 1 && reports[0].Result == resultError && firstErr != nil {
		return firstErr
	}
	if len(reports) == 0 {
		return cmdutil.BadInputHint("MESSAGE", errors.New("no messages found"), "give message files, directories holding them, or mbox files")
	}
	rep := &ARCVerifyReport{Messages: reports}
	var tally finding.Tally
	for _, m := range reports {
		rep.Summary.count(m.Result)
		if m.Result == resultError {
			tally.AddInvalid()
		} else {
			tally.Add(m.Status)
		}
	}
	if f.Global != nil && f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, rep); err != nil {
			return err
		}
	} else {
		writeARCTable(f.IO.Term(), rep, f.IO.Quiet)
	}
	return cmdutil.ExitFor(tally, finding.Error)
}

// validateOne validates one message's chain. The error is the bad-input
// error for a message that could not be read, for when it is the only
// input.
func validateOne(f *cmdutil.Factory, v *arc.Validator, j *job) (*ARCMessageReport, error) {
	rep := &ARCMessageReport{Source: j.name, Findings: finding.List{}}
	fail := func(err error) (*ARCMessageReport, error) {
		err = jobError(j, err)
		rep.Result, rep.Status, rep.Reason = resultError, finding.StatusError, unreadableReason(err)
		return rep, messageError(j.name, err)
	}
	if j.err != nil {
		return fail(j.err)
	}
	r, err := j.open()
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	chain, err := v.Validate(f.Ctx(), r)
	if err != nil {
		return fail(err)
	}
	rep.Chain, rep.Result, rep.Reason = chain, chain.Result, chain.Reason
	rep.Findings = append(rep.Findings, chain.Findings()...)
	rep.Status = finding.Judge(rep.Findings, true)
	return rep, nil
}

// writeARCTable renders the chains for people: per message, its result
// line, one line per set (instance, cv=, sealer, seal, message signature,
// authserv-id), what each set recorded, and the findings; then a summary
// for a batch. With quiet, one line per message. Everything from the
// messages goes through t, which escapes it.
func writeARCTable(t *report.Term, rep *ARCVerifyReport, quiet bool) {
	if quiet {
		var rows [][]report.Cell
		for _, m := range rep.Messages {
			row := []report.Cell{report.Text(m.Source), report.Styles(arcStyle(m.Result), "arc="+m.Result)}
			if m.Result != arc.Pass {
				row = append(row, report.Text(m.Reason))
			}
			rows = append(rows, row)
		}
		report.Columns(t, rows, 2)
		return
	}
	for k, m := range rep.Messages {
		if k > 0 {
			t.Printf("\n")
		}
		head := []report.Cell{report.Text(m.Source + ":"), report.Styles(arcStyle(m.Result), "arc="+m.Result)}
		switch {
		case m.Chain == nil:
			head = append(head, report.Text(m.Reason))
		case m.Result == arc.Pass:
			head = append(head, report.Text(chainSummary(m.Chain)))
		default:
			head = append(head, report.Text(m.Reason))
		}
		report.Columns(t, [][]report.Cell{head}, 1)
		if m.Chain == nil {
			continue
		}
		if len(m.Chain.Sets) > 0 {
			rows := [][]report.Cell{report.Row("  i", "cv", "sealer", "seal", "message signature", "authserv-id")}
			for _, s := range m.Chain.Sets {
				rows = append(rows, []report.Cell{
					report.Text("  " + strconv.Itoa(s.Instance)), report.Text(orDash(s.ChainValidation)), report.Text(orDash(s.Seal.Domain)),
					sigCell(s.Seal), sigCell(s.MessageSignature), report.Text(orDash(s.AuthServID)),
				})
			}
			report.Columns(t, rows, 2)
			for _, s := range m.Chain.Sets {
				if s.AuthResults != "" {
					t.Printf("  i=%d recorded: %s\n", s.Instance, report.SafeLine(s.AuthResults))
				}
			}
		}
		report.WriteFindings(t, m.Findings, "  ", false)
	}
	if len(rep.Messages) > 1 {
		s := rep.Summary
		t.Printf("\n%d messages: %d pass, %d fail, %d none, %d temperror, %d error\n", s.Messages, s.Pass, s.Fail, s.None, s.Temperror, s.Error)
	}
}

// chainSummary describes a passing chain.
func chainSummary(r *arc.Result) string {
	var ds []string
	for _, set := range r.Sets {
		ds = append(ds, orDash(set.Seal.Domain))
	}
	noun := "sets"
	if r.Instance == 1 {
		noun = "set"
	}
	s := fmt.Sprintf("%d %s, sealed by %s", r.Instance, noun, strings.Join(ds, " > "))
	if r.OldestPass > 0 {
		s += fmt.Sprintf(", oldest-pass=%d", r.OldestPass)
	}
	return s
}

// sigCell shows one signature's result: the result, and the key or the
// reason.
func sigCell(s arc.SignatureResult) report.Cell {
	if s.Result == "" {
		return report.Text("-")
	}
	detail := s.Code
	if s.Result == arc.SigPass && s.KeyBits > 0 {
		detail = fmt.Sprintf("%s, %d-bit %s", s.Selector, s.KeyBits, s.KeyType)
	}
	return report.Cell{{Text: s.Result, Style: resultStyle(s.Result)}, {Text: " (" + detail + ")"}}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
