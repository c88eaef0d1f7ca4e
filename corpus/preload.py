"""Imported once by the extraction pool's fork server, before it forks the workers.

The workers then share, copy-on-write, the extraction libraries and the language
model (py3langid's, about 75 MB) instead of loading one each. The fork server
ignores the crawl's stop signals and dies with the crawl (:mod:`corpus.lifeline`).
"""

from corpus.extract import identify_language
from corpus.lifeline import bind_fork_server

bind_fork_server()
identify_language("This sentence loads the language model before the workers are forked.")
