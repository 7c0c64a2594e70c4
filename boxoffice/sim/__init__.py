"""Demo data and (later) the gate-traffic simulator."""
