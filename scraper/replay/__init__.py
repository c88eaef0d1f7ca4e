"""Replay: the archive read back through the crawl's extraction, filters and corpus store."""
