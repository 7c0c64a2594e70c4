"""The encoding station: a box of blank bands through one reader, into signed, protected wristbands.

- ``band_writer``: one band, written with nfcpy's NTAG21x code, read back,
  compared and password-protected, in the order that makes a pulled band
  recoverable; ``errors``: the ways writing a band fails, each an outcome;
- ``encode_job``: the bulk job in a worker thread, over the core's encoding
  services (pending row, write, activate), with pause, cancel and resume;
- ``cli``: ``boxoffice encode``, the job from the command line;
- ``self_check``: one simulated band encoded end to end, for ``--self-test``.

Separate from ``hardware.readers`` because this is where the hardware meets
the core (the store, the services, the signing keys): the readers work without
any of it, and a new reader backend never touches the station. The station
reaches readers only through their interface (``Reader``, ``TagSession``,
``reader_for``) and the simulator; the readers never import this package.
"""
