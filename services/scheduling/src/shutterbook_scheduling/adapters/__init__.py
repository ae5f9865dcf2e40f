"""Scheduling's calls to other services (I/O that is no database's: `storage/` keeps the SQL and
rows). Each adapter speaks the other service's protocol and answers in domain objects."""
