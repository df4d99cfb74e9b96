package graph

import (
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/health"
)

// settingsModel is the GraphQL form of a school's flag thresholds.
func settingsModel(s health.Settings) *model.SyncHealthSettings {
	return &model.SyncHealthSettings{DeletePercent: s.DeletePercent, DisablePercent: s.DisablePercent,
		UpdatePercent: s.UpdatePercent, ProcessedDropPercent: s.ProcessedDropPercent}
}
