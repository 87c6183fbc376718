"""sitekit: infrastructure as code for restaurant sites."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sitekit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
