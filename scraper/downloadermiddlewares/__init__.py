"""Downloader middlewares of the news archiver."""
