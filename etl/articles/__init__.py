"""Full articles in the seed's genre: drafted from picked works, edited in versions, their
citations found and resolved against the records and the figures of the passages they support
checked, approved, published in the archive and mailed as a feature."""
