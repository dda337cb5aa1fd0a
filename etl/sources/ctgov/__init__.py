"""CT.gov API v2 source: study pages and single studies (JSON) parsed into trial records."""
