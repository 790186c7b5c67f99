"""civicloop: closed-loop urban governance for a district."""
__version__ = "0.1.0"
