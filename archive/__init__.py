"""Scrapy-free WARC 1.1 library: record building, writing, repair and reading."""

from archive.records import RecordFactory, WarcRecord
from archive.writer import RecordLocation, WarcWriter, repair_open_files

__all__ = ["RecordFactory", "RecordLocation", "WarcRecord", "WarcWriter", "repair_open_files"]
