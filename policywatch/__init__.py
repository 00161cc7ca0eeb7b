"""policywatch: a scheduled scraper and change monitor for Shanghai government policy documents."""

__version__ = "0.1.0"
