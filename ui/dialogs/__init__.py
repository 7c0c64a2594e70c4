"""Dialogs: each opened with ``open()`` (window-modal) so the event loop keeps running under it."""
