"""Scrapy glue of the news archiver: spider, middlewares, pipelines, commands."""
