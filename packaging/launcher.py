"""The bundle's entry point: the same ``main`` as the ``boxoffice`` console script.

PyInstaller starts from a script, not from an entry point, so this is it.
``freeze_support`` lets a ``multiprocessing`` child of the frozen program
(uvicorn's worker processes, should ``server`` ever run several) start as a child
instead of as a second copy of the whole program.
"""

import multiprocessing

from boxoffice.programs.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
