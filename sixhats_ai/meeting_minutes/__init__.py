"""`sixhats minutes`: the meeting's own notes and dot votes, turned into minutes or a report."""
