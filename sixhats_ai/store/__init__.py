"""The run store: every run kept in one SQLite file, with its checks, recovery and migrations."""
