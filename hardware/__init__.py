"""The station's hardware side, in two rooms: ``readers`` and ``station``.

- ``hardware.readers``: NFC readers behind one small interface (nfcpy over USB,
  serial and udp; PC/SC; the simulated NTAG21x in ``readers.sim``), what is
  attached and why it cannot be used (``diagnose``), the errors a reader
  reports, and the ``boxoffice reader`` command.
- ``hardware.station``: the encoding station built on that interface: writing
  one band (``band_writer``), the bulk ``EncodeJob`` over the core's services,
  the ``boxoffice encode`` command and the encoding part of ``--self-test``.

The station imports the readers, never the other way round (an import-linter
contract), and neither imports Qt or ``ui``; the core imports neither. This
package itself imports nothing, so ``import hardware.station...`` loads only
what it asks for.
"""
