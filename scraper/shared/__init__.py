"""One crawl shared by several crawler processes and machines through Redis (``REDIS_URL``).

scrapy-redis keeps the request queue and the seen-set in Redis; this package adds
what a news archive needs on top: requests a worker has taken stay recorded until
it is done with them (an article: written, its outcome recorded), so those of a worker
that died go back to the queue in the same run; workers
leave once the queue has stayed empty for ``REDIS_IDLE_TIMEOUT``; corpus numbers and
the crawl state live in Redis too.
"""
