"""Europe PMC REST search responses (JSON and XML) parsed into paper records, preprints included."""
