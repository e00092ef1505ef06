package policy

import (
	"context"
	"log/slog"
)

// log records the outcome of one Decide through Policy.Logger: every
// decision, notice or not, so that the record of a drop is never lost.
func (p *Policy) log(ctx context.Context, ev *Event, d Decision, err error) {
	if p.Logger == nil {
		return
	}
	if err != nil {
		p.Logger.LogAttrs(ctx, slog.LevelWarn, "bounce decision failed",
			slog.String("return_path", ev.ReturnPath), slog.Any("error", err))
		return
	}
	p.Logger.LogAttrs(ctx, slog.LevelInfo, "bounce decision",
		slog.String("return_path", ev.ReturnPath), slog.Any("decision", d))
}
