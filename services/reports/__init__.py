"""reports: keeps facts from every event and answers the federation's counts and rates."""
