"""One meeting: the engine runs a program's steps over a backend and assembles the report."""
