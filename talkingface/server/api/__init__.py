"""One router per resource: jobs, portraits, live, info (with the local API docs)."""
