package cli

import (
	"github.com/spf13/cobra"

	auditcmd "github.com/penguinmails/emailauth/internal/cli/audit"
	checkcmd "github.com/penguinmails/emailauth/internal/cli/check"
	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/dkim"
	"github.com/penguinmails/emailauth/internal/cli/dmarc"
	"github.com/penguinmails/emailauth/internal/cli/explain"
	"github.com/penguinmails/emailauth/internal/cli/message"
	"github.com/penguinmails/emailauth/internal/cli/records"
	"github.com/penguinmails/emailauth/internal/cli/reportcmd"
	"github.com/penguinmails/emailauth/internal/cli/reports"
	"github.com/penguinmails/emailauth/internal/cli/spf"
	"github.com/penguinmails/emailauth/internal/cli/wait"
	warmupcmd "github.com/penguinmails/emailauth/internal/cli/warmup"
)

// addCommands adds the command groups. Each group's package assembles its
// own children.
func addCommands(root *cobra.Command, f *cmdutil.Factory) {
	root.AddCommand(
		checkcmd.NewCmdCheck(f, nil),
		spf.NewCmdSPF(f),
		dkim.NewCmdDKIM(f),
		message.NewCmdSign(f),
		message.NewCmdVerify(f),
		message.NewCmdARC(f),
		dmarc.NewCmdDMARC(f),
		reports.NewCmdTLSRPT(f),
		explain.NewCmdExplain(f),
		records.NewCmdRecords(f, nil),
		wait.NewCmdWait(f, nil),
		reportcmd.NewCmdReport(f),
		auditcmd.NewCmdAudit(f),
		warmupcmd.NewCmdWarmup(f),
	)
}
