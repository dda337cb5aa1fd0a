"""Identity and deduplication: which identifiers make two records one work."""
