package warmup

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes Assess can emit.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Assess. An error means pause, a warning slow down.
var (
	FindComplaintPause = catalog.Define(finding.Spec{
		Code: "warmup.complaint-rate-pause", Severity: finding.Error,
		Title:   "the complaint rate reached the rate providers do not tolerate",
		Meaning: "Recipients reported the day's mail as spam at or above the pause threshold (0.3% of delivered messages unless configured otherwise). Google asks senders never to reach a 0.3% spam rate in Postmaster Tools and Yahoo to stay below 0.3%; a new sender at that rate is filtered to spam or blocked, and its reputation takes weeks to rebuild.",
		Fix:     "Stop sending from the new domain or IP. Find what the complaining recipients have in common (a list source, a campaign, a missing unsubscribe link) and remove it; send only to recipients who asked for the mail; resume at about half the day's volume.",
	})
	FindComplaintHigh = catalog.Define(finding.Spec{
		Code: "warmup.complaint-rate-high", Severity: finding.Warning,
		Title:   "the complaint rate is above what providers ask for",
		Meaning: "Recipients reported the day's mail as spam at or above the slow-down threshold (0.1% of delivered messages unless configured otherwise): Google asks senders to keep the spam rate below 0.10%. The ramp should not grow while it is this high.",
		Fix:     "Send the same volume again tomorrow instead of the next step, to the most engaged recipients, and check that every message has a working one-click unsubscribe (RFC 8058).",
	})
	FindBouncePause = catalog.Define(finding.Spec{
		Code: "warmup.bounce-rate-pause", Severity: finding.Error,
		Title:   "the hard-bounce rate shows a list that was not cleaned",
		Meaning: "Permanent failures (no such user, no such domain) reached the pause threshold (5% of messages sent unless configured otherwise): the list holds addresses that no longer exist, or were never given. Mailbox providers read that as mail nobody asked for; sending services act on accounts at this rate.",
		Fix:     "Stop sending. Remove every address that bounced permanently, and validate or re-confirm the rest of the list before resuming at about half the day's volume.",
	})
	FindBounceHigh = catalog.Define(finding.Spec{
		Code: "warmup.bounce-rate-high", Severity: finding.Warning,
		Title:   "the hard-bounce rate is above a clean list's",
		Meaning: "Permanent failures reached the slow-down threshold (2% of messages sent unless configured otherwise), the edge of what a clean, opted-in list gives. A new sender is judged harder than an established one.",
		Fix:     "Suppress the addresses that bounced, send the same volume again tomorrow, and find where the bad addresses came from.",
	})
	FindOverPlan = catalog.Define(finding.Spec{
		Code: "warmup.over-plan", Severity: finding.Warning,
		Title:   "more was sent than the plan allows for the day",
		Meaning: "The day's volume is above the plan's by more than the tolerance (10% unless configured otherwise). Receivers judge a new sender by sudden changes in volume; running ahead of the plan is how a warm-up fails.",
		Fix:     "Send the plan's volume for this day again before moving on, and cap the sending system at the plan's daily volume.",
	})
	FindSmallSample = catalog.Define(finding.Spec{
		Code: "warmup.small-sample", Severity: finding.Info,
		Title:   "too few messages to measure the complaint rate precisely",
		Meaning: "Fewer messages were delivered than it takes for one complaint to stay under the slow-down threshold (1,000 at 0.1%): the rate moves in large steps, and one complaint can decide the verdict.",
		Fix:     "Judge the first days together: add up several days' counts before concluding that the rate is high or low.",
	})
	FindNoComplaintData = catalog.Define(finding.Spec{
		Code: "warmup.no-complaint-data", Severity: finding.Info,
		Title:   "no complaint count was given",
		Meaning: "The verdict rests on the bounce rate (and the plan) only: the complaint rate, the signal providers weigh most, was not judged.",
		Fix:     "Give the day's complaints (--complaints): from Google Postmaster Tools' spam rate, Yahoo's complaint feedback loop, Microsoft's JMRP, and the ARF reports of other providers' feedback loops.",
	})
	FindPlanComplete = catalog.Define(finding.Spec{
		Code: "warmup.plan-complete", Severity: finding.Info,
		Title:   "the plan's last day was reached",
		Meaning: "The day assessed is the plan's last or later: the target volume is reached, and the warm-up is over if the rates stay within the thresholds.",
		Fix:     "Keep watching the same rates: they are what providers judge every sender by, warmed up or not.",
	})
)
