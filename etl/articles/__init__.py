"""Full articles in the seed's genre: finding their citations, resolving them against the
records, and checking the figures of the passages they support."""
