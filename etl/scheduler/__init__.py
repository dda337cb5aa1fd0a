"""The scheduler: jobs from config/schedule.toml, each run under a lock and recorded."""
