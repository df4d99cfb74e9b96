// Package frontend holds the dashboard's browser code (a Vite + React app) and embeds its
// production build so that the server binary serves it without Node at run time.
package frontend

import "embed"

// Dist is the built dashboard: index.html, playground.html and assets/. It holds only
// .gitkeep until `npm run build` has run, so callers must handle a missing index.html.
//
//go:embed all:dist
var Dist embed.FS
