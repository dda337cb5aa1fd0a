"""RSS 1.0/2.0 and Atom journal feeds (PubMed's "Create RSS" too) parsed into paper records."""
