"""PySide6 desktop application (the windows people use all day).

pydantic is imported here, before any Qt module: once PySide6 is loaded, its
import hook inspects the source of every module imported after it, and on
pydantic's lazily loaded attributes that inspection re-enters pydantic's own
import and fails with a circular-import error (seen when the desktop started
with nothing else imported first).
"""

import pydantic
import pydantic.types  # noqa: F401
