"""Central's storage modules: all of central's SQL lives here."""
