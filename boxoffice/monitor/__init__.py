"""The live gate monitor's core: per-gate per-minute aggregates, their loader and the alert rules.

No Qt here: the Gates page (``ui/pages/monitor_page.py``) only draws what
these modules compute, so the rules are tested without a window.
"""
