package alert

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/mail"
)

// HealthPath is the dashboard's Sync health page, which status emails link to.
const HealthPath = "/health"

// view is what an email's templates read.
type view struct {
	Kind      string
	School    string
	Profile   string
	Status    string
	Previous  string
	At        string
	Flags     []string
	Run       *ent.Event
	Link      string
	Digest    *digest
	Recovered bool
}

// render builds the email of job a for user u; ok is false when there is nothing to
// send any more (the run or profile is gone, the digest became empty).
func (w *Watch) render(ctx context.Context, a EmailArgs, u *ent.User) (msg mail.Message, ok bool, err error) {
	sc, err := w.DB.Client.School.Get(ctx, a.SchoolID)
	if err != nil {
		return msg, false, fmt.Errorf("alert email: school %d: %w", a.SchoolID, err)
	}
	loc := location(sc)
	base := strings.TrimRight(w.PublicURL, "/")
	v := view{Kind: a.Alert, School: sc.Name}
	switch a.Alert {
	case KindFlagged:
		e, err := w.DB.Client.Event.Get(ctx, a.EventID)
		if ent.IsNotFound(err) {
			return msg, false, nil
		}
		if err != nil {
			return msg, false, fmt.Errorf("alert email: run %d: %w", a.EventID, err)
		}
		if e.SyncProfileID == nil {
			return msg, false, nil
		}
		p, err := w.DB.Client.SyncProfile.Get(ctx, *e.SyncProfileID)
		if err != nil {
			return msg, false, fmt.Errorf("alert email: sync profile of run %d: %w", e.ID, err)
		}
		v.Profile, v.Run, v.At = p.Name, e, e.DateFinished.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
		v.Flags = health.Flags(e.Flags).Names()
		v.Link = base + "/?" + url.Values{"profile": {strconv.Itoa(p.ID)}, "all": {"1"}}.Encode()
		msg.Subject = fmt.Sprintf("Flagged sync run: %s (%s)", p.Name, strings.Join(v.Flags, ", "))
	case KindStatus:
		p, err := w.DB.Client.SyncProfile.Get(ctx, a.ProfileID)
		if ent.IsNotFound(err) {
			return msg, false, nil
		}
		if err != nil {
			return msg, false, fmt.Errorf("alert email: sync profile %d: %w", a.ProfileID, err)
		}
		v.Profile, v.Status, v.Previous = p.Name, a.Status, a.Previous
		v.Recovered = a.Status == string(health.Healthy)
		v.Link = base + HealthPath
		switch a.Status {
		case string(health.Failing):
			msg.Subject = fmt.Sprintf("Sync profile %s is failing", p.Name)
		case string(health.Quiet):
			msg.Subject = fmt.Sprintf("Sync profile %s has gone quiet", p.Name)
		default:
			msg.Subject = fmt.Sprintf("Sync profile %s is healthy again", p.Name)
		}
	case KindDigest:
		dg, err := w.digest(ctx, a.SchoolID, a.Date)
		if err != nil {
			return msg, false, err
		}
		if dg.empty() {
			return msg, false, nil
		}
		v.Digest, v.Link = dg, base+HealthPath
		msg.Subject = fmt.Sprintf("Sync digest for %s: %s", sc.Name, dg.Day)
	default:
		return msg, false, nil
	}
	var text, html bytes.Buffer
	if err := textTemplate.Execute(&text, v); err != nil {
		return msg, false, fmt.Errorf("alert email: render text: %w", err)
	}
	if err := htmlTemplate.Execute(&html, v); err != nil {
		return msg, false, fmt.Errorf("alert email: render HTML: %w", err)
	}
	msg.To = u.Email
	// The subject carries a profile name, which an agent chose: no control character
	// (a line break above all) may reach the header, whatever the mail library does.
	msg.Subject = oneLine(msg.Subject)
	msg.Text, msg.HTML = text.String(), html.String()
	return msg, true, nil
}

// oneLine replaces control characters with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

const textSource = `{{if eq .Kind "flagged"}}A run of the sync profile "{{.Profile}}" at {{.School}} was flagged: {{join .Flags ", "}}.

Finished: {{.At}}
Processed: {{.Run.Processed}}, added: {{.Run.Added}}, updated: {{.Run.Updated}}, deleted: {{.Run.Deleted}}, disabled: {{.Run.Disabled}}, errors: {{.Run.Errors}}

See the profile's report: {{.Link}}
{{else if eq .Kind "status"}}{{if .Recovered}}The sync profile "{{.Profile}}" at {{.School}} is HEALTHY again (it was {{.Previous}}).{{else if eq .Status "QUIET"}}The sync profile "{{.Profile}}" at {{.School}} has gone QUIET: it has not run for much longer than usual.{{else}}The sync profile "{{.Profile}}" at {{.School}} is FAILING: its last run failed or processed nothing.{{end}}

See Sync health: {{.Link}}
{{else}}{{with .Digest}}Sync digest for {{.School}}, {{.Day}}
{{if .Attention}}
Needing attention now:
{{range .Attention}}- {{.Name}}: {{.Status}}
{{end}}{{end}}{{if .Profiles}}
Runs per profile:
{{range .Profiles}}- {{.Name}}: {{.Runs}} run(s){{if .Flagged}}, {{.Flagged}} flagged{{end}}
{{end}}{{end}}{{if .Flagged}}
Flagged runs:
{{range .Flagged}}- {{.At}} {{.Profile}}: {{.Flags}}
{{end}}{{if .MoreFlagged}}- and {{.MoreFlagged}} more
{{end}}{{end}}
Failed CSV uploads: {{.FailedUploads}}
Failed sign-ins: {{.FailedLogins}}
{{end}}
See Sync health: {{.Link}}
{{end}}
You get this email because of your alert preferences in provreport.
`

const htmlSource = `<!doctype html><html><body style="font-family:sans-serif">
{{if eq .Kind "flagged"}}<p>A run of the sync profile <strong>{{.Profile}}</strong> at {{.School}} was flagged: <strong>{{join .Flags ", "}}</strong>.</p>
<table><tr><td>Finished</td><td>{{.At}}</td></tr>
<tr><td>Processed</td><td>{{.Run.Processed}}</td></tr><tr><td>Added</td><td>{{.Run.Added}}</td></tr>
<tr><td>Updated</td><td>{{.Run.Updated}}</td></tr><tr><td>Deleted</td><td>{{.Run.Deleted}}</td></tr>
<tr><td>Disabled</td><td>{{.Run.Disabled}}</td></tr><tr><td>Errors</td><td>{{.Run.Errors}}</td></tr></table>
<p><a href="{{.Link}}">See the profile's report</a></p>
{{else if eq .Kind "status"}}<p>{{if .Recovered}}The sync profile <strong>{{.Profile}}</strong> at {{.School}} is <strong>HEALTHY</strong> again (it was {{.Previous}}).{{else if eq .Status "QUIET"}}The sync profile <strong>{{.Profile}}</strong> at {{.School}} has gone <strong>QUIET</strong>: it has not run for much longer than usual.{{else}}The sync profile <strong>{{.Profile}}</strong> at {{.School}} is <strong>FAILING</strong>: its last run failed or processed nothing.{{end}}</p>
<p><a href="{{.Link}}">See Sync health</a></p>
{{else}}{{with .Digest}}<h2>Sync digest for {{.School}}, {{.Day}}</h2>
{{if .Attention}}<h3>Needing attention now</h3><ul>{{range .Attention}}<li>{{.Name}}: {{.Status}}</li>{{end}}</ul>{{end}}
{{if .Profiles}}<h3>Runs per profile</h3><ul>{{range .Profiles}}<li>{{.Name}}: {{.Runs}} run(s){{if .Flagged}}, {{.Flagged}} flagged{{end}}</li>{{end}}</ul>{{end}}
{{if .Flagged}}<h3>Flagged runs</h3><ul>{{range .Flagged}}<li>{{.At}} {{.Profile}}: {{.Flags}}</li>{{end}}{{if .MoreFlagged}}<li>and {{.MoreFlagged}} more</li>{{end}}</ul>{{end}}
<p>Failed CSV uploads: {{.FailedUploads}}<br>Failed sign-ins: {{.FailedLogins}}</p>{{end}}
<p><a href="{{.Link}}">See Sync health</a></p>
{{end}}<p style="color:#666">You get this email because of your alert preferences in provreport.</p>
</body></html>
`

var (
	textTemplate = texttemplate.Must(texttemplate.New("text").Funcs(texttemplate.FuncMap{"join": strings.Join}).Parse(textSource))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Funcs(htmltemplate.FuncMap{"join": strings.Join}).Parse(htmlSource))
)
