package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/usererr"
)

// storageFullMessage tells a caller what went wrong when the database had no room to
// write. A batch is written in one transaction, so nothing of it was kept, and sending
// it again once space is freed records it once.
const storageFullMessage = "the server's database is out of disk space, so nothing was saved; " +
	"try again later (the administrator is told in the server log)"

// presentStorageFull answers a write that failed for lack of space with the typed code
// SERVICE_UNAVAILABLE instead of an internal error, logs it for the administrator, and
// marks the database full, which turns /readyz to 503 (store.DB.StorageFull). Every other
// error goes to next.
func (s *Server) presentStorageFull(next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if !store.IsStorageFull(err) {
			return next(ctx, err)
		}
		s.db.NoteWrite(err)
		s.logger.ErrorContext(ctx, "database out of space: writes are failing", "request_id", requestid.FromContext(ctx), "err", err)
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		gqlErr.Message = storageFullMessage
		gqlErr.Extensions = map[string]any{"code": string(usererr.ServiceUnavailable)}
		return gqlErr
	}
}
