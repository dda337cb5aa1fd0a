"""Full-text search over the relevant works: one table of documents kept in step with the
classification, indexed by SQLite's FTS5 or PostgreSQL's text search behind one interface."""
