package export_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/export"
)

func TestFormatCountFollowsTheSchoolsLocale(t *testing.T) {
	t.Parallel()
	for locale, want := range map[string]string{
		"en-AU":      "1,234,567",
		"en-US":      "12,345",
		"de-DE":      "12.345",
		"not a tag!": "12,345", // an unknown tag falls back to English instead of failing the email
	} {
		n := 12345
		if locale == "en-AU" {
			n = 1234567
		}
		require.Equal(t, want, export.FormatCount(locale, n), locale)
	}
	require.Equal(t, "999", export.FormatCount("de-DE", 999))
}
