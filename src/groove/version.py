"""groove's version, written once: pyproject reads it, a client and a server compare it."""

__version__ = "0.1.0"
