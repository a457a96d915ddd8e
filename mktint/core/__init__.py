"""The shared client library: config, credentials, HTTP, errors, factory and output."""
