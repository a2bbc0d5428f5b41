package audit

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes Verify can emit.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Verify: each is a place where the chain breaks.
var (
	FindEdited = catalog.Define(finding.Spec{
		Code: "audit.line-edited", Severity: finding.Error,
		Title:   "an audit log line was changed after it was written",
		Meaning: "The next line of the audit log recorded another SHA-256 for this line than the line has now, and the sequence numbers around it are continuous: the line was changed after it was written (or the next line's `prev` field was). What the line says can no longer be trusted.",
		Fix:     "Keep the file as evidence and find out who could write it. Compare the line with a backup or a copy shipped elsewhere (a log collector); start a new log file for new records.",
	})
	FindDeleted = catalog.Define(finding.Spec{
		Code: "audit.line-deleted", Severity: finding.Error,
		Title:   "audit log lines were deleted",
		Meaning: "A line's `prev` matches no line of the log and the sequence numbers jump: the records in between were removed. The finding says how many and between which lines.",
		Fix:     "Keep the file as evidence and find out who could write it; recover the missing records from a backup or a copy shipped elsewhere. Start a new log file for new records.",
	})
	FindReordered = catalog.Define(finding.Spec{
		Code: "audit.lines-reordered", Severity: finding.Error,
		Title:   "audit log lines are out of order",
		Meaning: "A line's `prev` is the hash of a line elsewhere in the log, or its sequence number belongs elsewhere: lines were moved. The records may be intact, but the order of events the log shows is not the order they happened in.",
		Fix:     "Keep the file as evidence and find out who could write it. The `seq` field of each record gives the order they were written in.",
	})
	FindInserted = catalog.Define(finding.Spec{
		Code: "audit.line-inserted", Severity: finding.Error,
		Title:   "a line was added to the audit log",
		Meaning: "The line is a copy of another line of the log, or a record whose sequence number another record already has: it was not appended by a writer holding the log's lock.",
		Fix:     "Keep the file as evidence and find out who could write it; the record it copies or imitates is named in the finding.",
	})
	FindMalformed = catalog.Define(finding.Spec{
		Code: "audit.line-malformed", Severity: finding.Error,
		Title:   "a line of the audit log is not an audit record",
		Meaning: "The line is not a JSON audit record (version 1, with a sequence number and a `prev` hash), is empty, or is longer than the line limit: emailauth never writes such a line, so it was edited or added by something else.",
		Fix:     "Keep the file as evidence and find out who could write it. Do not remove the line: the hash chain covers it, and removing it breaks the chain again.",
	})
	FindTruncated = catalog.Define(finding.Spec{
		Code: "audit.line-truncated", Severity: finding.Error,
		Title:   "the audit log's last line is incomplete",
		Meaning: "The file does not end with a newline: a write was cut short (the machine crashed or the disk filled during an append) or the file was cut. emailauth refuses to append to such a log.",
		Fix:     "Keep the file as evidence, and log to a new file from now on (`--audit-log` or `audit_log:` in the config).",
	})
	FindRestarted = catalog.Define(finding.Spec{
		Code: "audit.chain-restarted", Severity: finding.Error,
		Title:   "a new hash chain starts in the middle of the audit log",
		Meaning: "A record other than the first has the `prev` of a log's first record: two logs were joined, or the file was replaced while a writer had it open. The records before it are not covered by the chain after it.",
		Fix:     "Keep logs in separate files, one chain each; verify each file on its own.",
	})
	FindHeadMissing = catalog.Define(finding.Spec{
		Code: "audit.head-missing", Severity: finding.Error,
		Title:   "the audit log no longer holds the line recorded as its head",
		Meaning: "The hash given with `--head` (the hash of the log's last line at some earlier time, as `audit verify` reported it) is not the hash of any line now: lines were deleted from the end of the log, or the log was rewritten. A hash chain alone cannot show either; only a head kept elsewhere can.",
		Fix:     "Keep the file as evidence; recover the missing records from a backup or a copy shipped elsewhere.",
	})
)
