"""The package version (hams-python), also sent to libhams as library_version."""

__version__ = "0.2.0"
