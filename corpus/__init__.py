"""Scrapy-free corpus library: extraction, filters and the corpus store."""
