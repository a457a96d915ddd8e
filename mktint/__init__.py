"""mktint: publish and seed audiobooks on private trackers from one command-line tool."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/mktint/mktint"
