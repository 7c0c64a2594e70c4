"""Demo data (``demo``) and the gate-traffic simulator.

The simulator is two modules: ``gate_traffic`` plans a run (pure, seedable:
which band taps which gate's device, which way, when) and ``gate_client``
sends it to a central server as gate handhelds would and sums up. From code::

    from boxoffice.programs.sim.gate_client import Credentials, GateSim, GateSimConfig

    sim = GateSim(GateSimConfig(server=url, series_id=day1_id, device=Credentials(token=gate_token),
                                lookup=Credentials(token=manager_token), rate=20, duration=600))
    threading.Thread(target=sim.run, daemon=True).start()   # never on the GUI thread
    sim.stop.set()                    # later, from any thread, to end early; then read sim.summary

``boxoffice gate-sim`` is the same from the command line; ``demo_stack`` runs it
in rounds for ``boxoffice demo``.
"""
