"""Tracker targets: one class per tracker kind (see :mod:`mktint.workflows.trackers.base`).

The registry is ``Kind.tracker`` in :mod:`mktint.core.kinds` (one line per kind);
``Factory.tracker(name)`` builds a service's tracker. Adding a kind takes one module here
and that one line.
"""
