package health

import (
	"time"

	"github.com/provreport/provreport/ent"
)

// SettingsOf returns the thresholds a school's admins chose (the columns' defaults are
// DefaultSettings).
func SettingsOf(s *ent.School) Settings {
	return Settings{
		DeletePercent:        s.HealthDeletePercent,
		DisablePercent:       s.HealthDisablePercent,
		UpdatePercent:        s.HealthUpdatePercent,
		ProcessedDropPercent: s.HealthProcessedDropPercent,
		QuietAfterMinimum:    time.Duration(s.HealthQuietAfterMinimum) * time.Second,
	}
}
