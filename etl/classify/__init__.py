"""Classification: labels in the article's taxonomy, from rules and (once trained) a model."""
