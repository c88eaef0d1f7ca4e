"""Adding a source: probe a site, propose its configuration, append it to the sources file."""
