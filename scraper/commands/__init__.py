"""Custom ``scrapy`` commands of the news archiver."""
