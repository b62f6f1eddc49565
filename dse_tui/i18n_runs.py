"""Moved to dse_tui/core/texts/ (en.py, es.py). A text still added here ({"en": ..., "es": ...}) works,
merged by dse_tui/i18n.py, but belongs there."""

TEXTS: dict[str, dict[str, str]] = {
}
