"""The crawl report: one static HTML page from the run history and the corpus manifest.

``data`` gathers the figures (Scrapy-free), ``charts`` draws them as inline SVG and
``html`` renders the page.
"""
