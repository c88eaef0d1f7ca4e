"""Imported once by the extraction pool's fork server, before it forks the workers.

The workers then share, copy-on-write, the extraction libraries and the language
model (py3langid's, about 75 MB) instead of loading one each. The fork server
ignores the crawl's stop signals and dies with the crawl (:mod:`corpus.lifeline`).

What it has loaded is then frozen out of the garbage collector's reach: a worker's
collections never visit those objects, so they neither spend time on them nor write to
their pages, which each worker would otherwise copy (measured on the crawl benchmark at
2,580 pages: the workers' peak PSS 257 -> 238 MiB, the tree's 461 -> 440 MiB).
"""

import gc

from corpus.lifeline import bind_fork_server

bind_fork_server()  # first: a Ctrl-C during the imports below is the crawl's to handle

from corpus.extract import identify_language  # after the stop signals are ignored

identify_language("This sentence loads the language model before the workers are forked.")
gc.freeze()  # after every import: the workers inherit it with the fork
