"""Pre-meeting briefs: purpose, a timed agenda, questions for each hat and pre-work."""
