"""Pydantic shapes of what the services return (and, later, of the REST API).

One set of classes serves the CLI's ``--json``, the central server's
responses and the sync client, so the three cannot drift apart.
"""
