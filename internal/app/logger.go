package app

import (
	"io"
	"log/slog"
)

// Log formats (Config.LogFormat).
const (
	// LogFormatText writes log/slog's key=value lines.
	LogFormatText = "text"
	// LogFormatJSON writes one JSON object a line, for log collectors.
	LogFormatJSON = "json"
)

// NewLogger returns the logger c asks for, writing to w: c.LogFormat's handler at
// c.LogLevel. Call it on a validated config; an unknown level logs at info and an
// unknown format as text.
func NewLogger(c Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
