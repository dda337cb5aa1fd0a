"""Full articles in the seed article's genre: drafted from picked works, edited in versions,
checked citation by citation, approved, published in the archive and mailed as a feature."""
