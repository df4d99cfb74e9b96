package export

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// FormatCount writes a count with the thousands separators of a school's locale (a BCP 47
// tag such as "en-AU" or "de-DE"), so an email says "12,345 events" in Sydney and
// "12.345 events" in Berlin. An unknown tag falls back to English rather than failing an
// email over a setting.
func FormatCount(locale string, n int) string {
	tag, err := language.Parse(locale)
	if err != nil {
		tag = language.English
	}
	return message.NewPrinter(tag).Sprintf("%d", n)
}
