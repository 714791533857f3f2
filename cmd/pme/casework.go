package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"pme"
	"pme/pipeline"
)

// The casework commands (casework.md): thin wrappers over pipeline's casework service, which the
// web application calls too.

// asFlag adds --as, the acting person, to a command's flags.
func asFlag(fs *flag.FlagSet) {
	fs.String("as", "", "who is doing this: your name or e-mail address (env PME_USER); required for casework writes")
}

func caseFlags(fs *flag.FlagSet) {
	asFlag(fs)
	fs.String("owner", "", "action: the person or team who will do it")
	fs.String("due", "", "action: the due date, YYYY-MM-DD")
	fs.String("review", "", "in-hand: the review date, YYYY-MM-DD")
}

func childFlags(fs *flag.FlagSet) {
	asFlag(fs)
	fs.String("export", "", "write the history as a workbook and a PDF into this folder (a subject access request)")
}

func auditFlags(fs *flag.FlagSet) {
	fs.String("case", "", "only this case")
	fs.String("person", "", "only what this person did")
	fs.String("since", "", "only from this date, YYYY-MM-DD")
}

func agendaFlags(fs *flag.FlagSet) {
	fs.String("meeting", pme.MeetingCOOS, "coos (the weekly Children Out of School meeting) or vcec (the VCEC panel)")
	fs.String("date", "", "the meeting's date, YYYY-MM-DD (default: the run date)")
}

// flagValue returns a command flag's value, "" when the command has no such flag.
func (a *app) flagValue(name string) string {
	if f := a.flags.Lookup(name); f != nil {
		return strings.TrimSpace(f.Value.String())
	}
	return ""
}

// writer is the acting person for a casework write: --as, else PME_USER; none is a usage error.
func (a *app) writer() (string, error) {
	if by := first(a.flagValue("as"), strings.TrimSpace(a.getenv("PME_USER"))); by != "" {
		return by, nil
	}
	return "", usagef("this records who did it: give --as NAME, or set PME_USER=NAME, with your name or e-mail address")
}

// viewer is who a view is audited as: --as, else PME_USER, else the operating-system user.
func (a *app) viewer() string {
	if by := first(a.flagValue("as"), strings.TrimSpace(a.getenv("PME_USER"))); by != "" {
		return by
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// system is who the pipeline's own commands record: PME_USER, else pme.
func (a *app) system() string {
	return first(strings.TrimSpace(a.getenv("PME_USER")), pipeline.SystemActor)
}

// dateFlag parses a YYYY-MM-DD flag; "" gives the zero date.
func (a *app) dateFlag(name string) (pme.Date, error) {
	s := a.flagValue(name)
	if s == "" {
		return pme.Date{}, nil
	}
	d, err := pme.ParseISO(s)
	if err != nil {
		return d, usagef("--%s %q: want a date as YYYY-MM-DD", name, s)
	}
	return d, nil
}

const caseUsage = "case CASE_ID [note TEXT | action TEXT --owner O --due D | done ACTION_ID | in-hand --review D | escalate REASON | nfa REASON | assign PERSON]"

// cmdCase is `pme case CASE_ID [note|action|done|in-hand|escalate|nfa|assign …]`.
func cmdCase(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("want %s", caseUsage)
	}
	caseID, args := args[0], args[1:]
	if len(args) == 0 {
		v, err := a.env.ShowCase(ctx, a.viewer(), caseID)
		if err != nil {
			return err
		}
		if a.g.json {
			return a.printJSON(v)
		}
		a.printCase(v)
		return nil
	}
	sub, rest := args[0], strings.TrimSpace(strings.Join(args[1:], " "))
	needs := func(what string) error {
		if rest == "" {
			return usagef("case %s %s: give %s", caseID, sub, what)
		}
		return nil
	}
	by, err := a.writer()
	if err != nil {
		return err
	}
	var res pipeline.CaseworkResult
	switch sub {
	case "note":
		if err := needs("the note's text"); err != nil {
			return err
		}
		res, err = a.env.AddNote(ctx, by, caseID, rest)
	case "action":
		if err := needs("what is to be done"); err != nil {
			return err
		}
		due, derr := a.dateFlag("due")
		if derr != nil {
			return derr
		}
		res, err = a.env.AddAction(ctx, by, caseID, rest, a.flagValue("owner"), due)
	case "done", "cancel":
		if err := needs("the action's id (pme case " + caseID + " lists them)"); err != nil {
			return err
		}
		status := pme.ActionDone
		if sub == "cancel" {
			status = pme.ActionCancelled
		}
		res, err = a.env.SetActionStatus(ctx, by, caseID, rest, status)
	case "in-hand":
		review, derr := a.dateFlag("review")
		if derr != nil {
			return derr
		}
		res, err = a.env.SetHandling(ctx, by, caseID, pme.HandlingInHand, review, rest)
	case "escalate":
		if err := needs("the reason"); err != nil {
			return err
		}
		res, err = a.env.SetHandling(ctx, by, caseID, pme.HandlingEscalated, pme.Date{}, rest)
	case "nfa":
		if err := needs("the reason"); err != nil {
			return err
		}
		res, err = a.env.SetHandling(ctx, by, caseID, pme.HandlingNFA, pme.Date{}, rest)
	case "assign":
		if err := needs("the person who will hold the case"); err != nil {
			return err
		}
		res, err = a.env.Assign(ctx, by, caseID, rest)
	default:
		return usagef("case: unknown action %q: want %s", sub, caseUsage)
	}
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(res)
	}
	switch {
	case res.Action != nil && res.Did == "action":
		a.say("Case %s: action %s recorded, owner %s, due %s.", res.CaseID, res.Action.ID, res.Action.Owner, res.Action.Due.UK())
	case res.Action != nil:
		a.say("Case %s: action %s marked %s.", res.CaseID, res.Action.ID, res.Did)
	case res.Handling != nil && res.Handling.State == pme.HandlingInHand:
		a.say("Case %s is in hand until %s.", res.CaseID, res.Handling.Review.UK())
	case res.Handling != nil:
		a.say("Case %s: handling is now %s.", res.CaseID, res.Handling.State)
	case res.Owner != "":
		a.say("Case %s is now held by %s.", res.CaseID, res.Owner)
	default:
		a.say("Case %s: note recorded.", res.CaseID)
	}
	a.printWarnings(res.Warnings)
	return nil
}

func (a *app) printWarnings(ws []string) {
	for _, w := range ws {
		a.say("warning: %s", w)
	}
}

// printCase prints a case for a person (standard output: it is what was asked for).
func (a *app) printCase(v pipeline.CaseView) {
	w := a.stdout
	fmt.Fprintf(w, "Case %s: %s (UPN %s), %s (%s)\n", v.CaseID, v.Child, v.UPN, v.School, v.LAESTAB)
	fmt.Fprintf(w, "%s\n", childLine(v))
	fmt.Fprintf(w, "Status %s, severity %s, flagged %d school day(s)\n", v.Status, v.Severity, v.DaysFlagged)
	for _, why := range v.Why {
		fmt.Fprintf(w, "  - %s\n", why)
	}
	h := v.Handling.State
	switch {
	case v.Handling.State == pme.HandlingInHand:
		h += " until " + v.Handling.Review.UK()
	case v.Handling.Reason != "":
		h += ": " + v.Handling.Reason
	}
	if v.Handling.By != "" {
		h += " (" + v.Handling.By + ", " + v.Handling.At.Local().Format("02/01/2006") + ")"
	}
	if v.Handling.ReturnedBecause != "" {
		h += " — back to unreviewed: " + v.Handling.ReturnedBecause
	}
	fmt.Fprintf(w, "Handling: %s\n", h)
	if v.Owner != "" {
		fmt.Fprintf(w, "Owner: %s\n", v.Owner)
	}
	if len(v.Actions) > 0 {
		fmt.Fprintln(w, "Actions:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, ac := range v.Actions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\tdue %s\t%s\n", ac.ID, ac.Status, ac.Owner, ac.Due.UK(), ac.Text)
		}
		tw.Flush()
	}
	if len(v.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range v.Notes {
			fmt.Fprintf(w, "  %s %s: %s\n", n.At.Local().Format("02/01/2006"), n.By, n.Text)
		}
	}
	if len(v.Letters) > 0 {
		fmt.Fprintln(w, "Letters:")
		for _, l := range v.Letters {
			state := ""
			if l.Overdue {
				state = ", OVERDUE a reply"
			}
			fmt.Fprintf(w, "  %s sent %s, reply by %s%s\n", l.LetterID, l.Sent.UK(), l.ReplyBy.UK(), state)
			for _, r := range l.Replies {
				fmt.Fprintf(w, "    reply received %s: %s %s\n", r.Received.UK(), r.Assurance, r.Note)
			}
		}
	}
}

func lettersReplyUsage() error {
	return usagef("want: pme letters reply LETTER_ID --received YYYY-MM-DD --assurance adequate|partial|inadequate [--note TEXT] --as NAME")
}

// cmdLettersReply is `pme letters reply LETTER_ID --received D --assurance A [--note T]`.
func cmdLettersReply(ctx context.Context, a *app, args []string) error {
	if len(args) != 1 {
		return lettersReplyUsage()
	}
	by, err := a.writer()
	if err != nil {
		return err
	}
	received, err := a.dateFlag("received")
	if err != nil {
		return err
	}
	res, err := a.env.RecordReply(ctx, by, args[0], received, a.flagValue("assurance"), a.flagValue("note"))
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(res)
	}
	a.say("Letter %s: reply received %s recorded (%s assurance).", res.LetterID, res.Received.UK(), res.Assurance)
	if res.Handling != nil {
		a.say("Case %s is now escalated to VCEC: the assurance was inadequate.", res.CaseID)
	}
	a.printWarnings(res.Warnings)
	return nil
}

// cmdChild is `pme child UPN [--export DIR]`.
func cmdChild(ctx context.Context, a *app, args []string) error {
	if len(args) != 1 {
		return usagef("want: pme child UPN [--export DIR]")
	}
	if dir := a.flagValue("export"); dir != "" {
		by, err := a.writer()
		if err != nil {
			return err
		}
		files, err := a.env.ExportChild(ctx, by, args[0], dir)
		if err != nil {
			return err
		}
		if a.g.json {
			return a.printJSON(map[string]any{"files": files, "warnings": []string{}})
		}
		for _, f := range files {
			a.say("Wrote %s", f)
		}
		return nil
	}
	h, err := a.env.ChildHistory(ctx, a.viewer(), args[0])
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(h)
	}
	fmt.Fprintf(a.stdout, "%s (UPN %s, born %s): %d entries\n", h.Child, h.UPN, h.DOB.UK(), len(h.Entries))
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for _, e := range h.Entries {
		where := first(e.School, e.LAESTAB)
		if e.File != "" && e.Kind == pme.EntryRecord {
			where += " (" + e.File + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Date.UK(), e.Kind, first(e.CaseID, e.LetterID), where, e.Summary)
	}
	return tw.Flush()
}

// cmdAudit is `pme audit [--case ID] [--person P] [--since D]`.
func cmdAudit(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("audit takes no arguments: filter with --case, --person and --since")
	}
	since, err := a.dateFlag("since")
	if err != nil {
		return err
	}
	entries, err := a.env.AuditLog(ctx, pme.AuditFilter{CaseID: a.flagValue("case"), Person: a.flagValue("person"), Since: since})
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(map[string]any{"entries": entries, "warnings": []string{}})
	}
	if len(entries) == 0 {
		a.say("No audit entries match.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tPERSON\tACTION\tCASE\tLETTER\tUPN\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Person, e.Action,
			e.CaseID, e.LetterID, e.UPN, e.Detail)
	}
	return tw.Flush()
}

// cmdAgenda is `pme agenda [--meeting coos|vcec] [--date D]`.
func cmdAgenda(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("agenda takes no arguments: pme agenda --meeting coos|vcec [--date YYYY-MM-DD]")
	}
	date, err := a.dateFlag("date")
	if err != nil {
		return err
	}
	ag, err := a.env.Agenda(ctx, a.system(), a.flagValue("meeting"), date)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(ag)
	}
	count := map[string]int{}
	for _, it := range ag.Items {
		count[it.Section]++
	}
	a.say("Agenda for %s on %s (facts as at %s): %s", strings.ToUpper(ag.Meeting), ag.Date.UK(), ag.FactsAsOf.UK(), plural(len(ag.Items), "item"))
	for _, s := range ag.Sections {
		a.say("  %-34s %d", pme.SectionTitles[s], count[s])
	}
	a.printWarnings(ag.Warnings)
	a.say("Wrote %s: fill the Decision columns in the meeting, then: pme load decisions FILE --as NAME", a.env.Path(ag.File))
	return nil
}

// cmdLoadDecisions is `pme load decisions FILE`.
func cmdLoadDecisions(ctx context.Context, a *app, args []string) error {
	if len(args) != 1 {
		return usagef("want: pme load decisions FILE --as NAME")
	}
	by, err := a.writer()
	if err != nil {
		return err
	}
	if _, err := os.Stat(args[0]); err != nil {
		return usagef("load decisions: %v", err)
	}
	res, err := a.env.ApplyDecisions(ctx, by, args[0])
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(res)
	}
	if res.Meeting != "" {
		a.say("Decisions from the %s agenda of %s (%s):", strings.ToUpper(res.Meeting), res.Date.UK(), res.AgendaID)
	}
	a.say("  %d applied, %d unchanged (already applied), %d skipped (no decision), %d refused.", res.Applied, res.Unchanged, res.Skipped, res.Refused)
	a.printIssues(res.Issues, 50)
	if res.Refused > 0 {
		a.say("Nothing from a refused row was applied: correct those rows and load the file again (rows already applied stay unchanged).")
	}
	a.printWarnings(res.Warnings)
	return nil
}

// childLine says who the child is beyond the name: "Born 26/11/2016, year 5, SEN E; CP plan,
// social worker Sam Carter (Team North)" (web.md's Case page, on the command line).
func childLine(v pipeline.CaseView) string {
	parts := []string{"Born " + cmp.Or(v.DOB.UK(), "(not known)")}
	if v.Year != "" {
		parts = append(parts, "year "+v.Year)
	}
	if v.SEN != "" {
		parts = append(parts, "SEN "+v.SEN)
	}
	line := strings.Join(parts, ", ")
	if p := v.Plan; p != nil {
		line += "; " + p.Type + " plan, social worker " + cmp.Or(p.SocialWorker, "(not given)")
		if p.Team != "" {
			line += " (" + p.Team + ")"
		}
	} else {
		line += "; no open social care plan"
	}
	return line
}
