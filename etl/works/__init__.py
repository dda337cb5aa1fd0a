"""Where a record becomes a work: identity, title matching, merges, events, and the store that
writes them in batches. Everything below `etl.db` (models, engine) and above `etl.sources`."""
