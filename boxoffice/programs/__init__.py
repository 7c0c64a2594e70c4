"""The outer programs built on the core: the ``boxoffice`` command (``cli``), the central
server (``server``) and the demo and gate-traffic simulator (``sim``).

They live apart from the core (domain, store, services, sync, monitor, reports) so that the
core's folders hold only what every program shares; nothing in the core imports them.
"""
