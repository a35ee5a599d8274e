"""The root of pyhb's exception hierarchy; each layer subclasses it in its own module."""


class PyhbError(Exception):
    """Base class of every error pyhb raises on purpose."""
