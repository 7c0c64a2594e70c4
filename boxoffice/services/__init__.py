"""Use cases over the store: each one transaction, each checks the role, each writes its outbox entry."""
