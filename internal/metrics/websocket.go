package metrics

import "github.com/prometheus/client_golang/prometheus"

// WebsocketRefusals registers the count of websocket connections refused or closed for
// their credentials, and returns the function that counts one, by reason: "origin" (a
// foreign page), "handshake" (not a websocket handshake), "no_credentials", "bad_credentials" (unknown, revoked or expired
// token, or an ended session), "credential_ended" (an open connection closed because
// its credential ended) and "error" (the credential could not be read).
func (m *Metrics) WebsocketRefusals() func(reason string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "provreport_websocket_refusals_total",
		Help: "Websocket connections refused, or closed because their credential ended, by reason.",
	}, []string{"reason"})
	for _, r := range []string{"origin", "handshake", "no_credentials", "bad_credentials", "credential_ended", "error"} {
		c.WithLabelValues(r)
	}
	m.reg.MustRegister(c)
	return func(reason string) { c.WithLabelValues(reason).Inc() }
}
