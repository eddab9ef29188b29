"""The coded validation messages now live in the core (:mod:`berjasa.messages`,
shared with central); this name stays for the schema modules that import it."""

from berjasa.messages import *
