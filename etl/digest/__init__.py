"""The digest: choosing an issue's items, rendering it, guarding it, archiving it."""
