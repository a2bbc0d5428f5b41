// Package warmup plans and judges the warm-up of a new sending domain or IP
// address: a daily-volume schedule that ramps to a target (Plan), and a
// verdict on a day's sending (Assess): continue, slow down or pause, with
// the reason.
//
// # The thresholds
//
// Assess judges the day by the rates mailbox providers publish, not by the
// looser limits of a sending service's account policy:
//
//   - user-reported spam (complaints) per message delivered: slow down at
//     0.1%, pause at 0.3%. Google's sender guidelines ask every sender to
//     keep the spam rate in Postmaster Tools below 0.10% and never to reach
//     0.30%; Yahoo's sender best practices ask for a complaint rate below
//     0.3%.
//   - hard bounces (permanent failures: no such user, no such domain) per
//     message sent: slow down at 2%, pause at 5%. No mailbox provider
//     publishes a bounce-rate figure; 2% is the rate sending services and
//     deliverability practice treat as the edge of a clean list, and 5% the
//     rate at which sending services (Amazon SES, Twilio SendGrid) start to
//     act on an account. A new domain or IP is judged harder than an
//     established one, so the ramp stops well before that.
//   - more than 10% above the day's planned volume: slow down.
//
// A rate at a threshold counts as reaching it ("never reaching 0.3%").
// Every threshold is configurable (Thresholds); docs/warmup.md cites the
// sources and says why a platform draft that pauses only above 10% bounces
// and slows down above 5% is far too loose.
//
// Rates are compared exactly, in integers: a Rate is a count of parts per
// million, so 3 complaints in 1,000 delivered messages is 0.3% and reaches
// a 0.3% threshold, with no floating-point rounding to decide the verdict.
//
// The verdict is the one verdict model's (pkg/finding): each reason is a
// finding of this package's catalogue, and the status finding.Judge
// derives from them gives the verdict: pass is continue, warn is slow down,
// fail is pause.
package warmup
