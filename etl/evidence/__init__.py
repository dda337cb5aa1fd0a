"""The evidence map: one row per clinical study of MSCs in cancer, its filters, its CSV and its
charts (see README, "The evidence map")."""
