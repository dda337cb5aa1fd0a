"""Study pages: one public page per relevant work, its timeline across sources, and its
citation files."""
