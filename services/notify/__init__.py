"""notify: tells assignees, supervisors and named workers what happened, by email, SMS and the staff
group bots (or the log channel), and shows staff who was told what about a case."""
