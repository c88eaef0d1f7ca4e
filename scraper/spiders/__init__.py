"""The news archiver's spiders."""
