"""Output renderers: a report (or a failed run's steps) as Markdown, JSON, terminal or HTML."""
