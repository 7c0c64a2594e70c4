"""Offline-first sync between a station's local store and the central server.

Push: the station's outbox entries (use cases as they were called) are
replayed by the server, once per entry id. Pull: the server's change log
(rows as they are after each commit) is copied into the station's store.
"""
