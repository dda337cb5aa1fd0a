"""ISRCTN: one trial by its number through the registry's keyless XML API (a citation checked, a
trial added by hand), and saved answers read by `parse` and `ingest`. Not crawled: the topic's
UK trials reach the database through ICTRP exports and CT.gov's secondary ids."""
