"""notify: tells assignees and named workers what happened, by email (or its log channel)."""
