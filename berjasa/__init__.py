"""berjasa: enrollment of Makassar informal workers into BPJS Ketenagakerjaan."""

__version__ = "0.1.0"
